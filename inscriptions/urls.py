from django.urls import path

from . import views

app_name = "inscriptions"

urlpatterns = [
    path("inscriptions/", views.RegistrationHomeView.as_view(), name="home"),
    path("inscriptions/dossier/<int:child_pk>/<int:year_pk>/", views.AnnualFileView.as_view(),
         name="annual_file"),
    path("inscriptions/activites/<int:activity_pk>/demander/",
         views.EnrolmentRequestView.as_view(), name="enrolment_request"),
    path("inscriptions/inscription/<int:pk>/retirer/", views.EnrolmentWithdrawView.as_view(),
         name="enrolment_withdraw"),
]
