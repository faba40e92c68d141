from django.urls import path

from . import views

app_name = "familles"

urlpatterns = [
    path("famille/", views.FamilyView.as_view(), name="family"),
    path("famille/creer/", views.OnboardingView.as_view(), name="onboarding"),
    path("famille/historique/", views.HistoryView.as_view(), name="family_history"),
    path("famille/profil/", views.ProfileView.as_view(), name="profile"),
    path("famille/inviter/", views.InviteView.as_view(), name="invite"),
    path("famille/invitation/<uuid:token>/", views.InvitationAcceptView.as_view(),
         name="invitation_accept"),
    path("famille/acces/<str:uidb64>/<str:token>/", views.ClaimAccountView.as_view(),
         name="claim"),
    path("famille/enfants/ajouter/", views.ChildEditView.as_view(), name="child_add"),
    path("famille/enfants/<int:pk>/modifier/", views.ChildEditView.as_view(), name="child_edit"),
    path("famille/entourage/", views.ContactListView.as_view(), name="contacts"),
    path("famille/entourage/ajouter/", views.ContactEditView.as_view(), name="contact_add"),
    path("famille/entourage/<int:pk>/modifier/", views.ContactEditView.as_view(),
         name="contact_edit"),
    path("famille/entourage/<int:pk>/supprimer/", views.ContactDeleteView.as_view(),
         name="contact_delete"),
    path("documents/", views.DocumentListView.as_view(), name="documents"),
    path("documents/<uuid:pk>/", views.document_download, name="document_download"),
    path("documents/<uuid:pk>/supprimer/", views.DocumentDeleteView.as_view(),
         name="document_delete"),
]
