from django.urls import path

from . import views

app_name = "inscriptions"

urlpatterns = [
    path("inscriptions/", views.RegistrationHomeView.as_view(), name="home"),
    path("inscriptions/dossier/<int:child_pk>/<int:year_pk>/", views.AnnualFileView.as_view(),
         name="annual_file"),
]
