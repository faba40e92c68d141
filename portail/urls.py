"""Root URLs (roof): gathers the apps."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from ground.links import DATA_EXPORT_PATH, ERASURE_PATH, PRIVACY_PATH

from . import erasure_views, personal_data_views, views

# admin.site is portail.admin_site's: staff log in through allauth, with a second factor.
admin.site.site_header = _("Portail Famille – Éducation Jeunesse")
admin.site.site_title = _("Portail Famille")
admin.site.index_title = _("Gestion du service")

# A malformed request (odd input, a body over Django's limits) answers the portal's French
# page, with its layout; 403 and 404 are Django's own views on our templates; the 500 page
# needs no database (portail.error_pages).
handler400 = "portail.views.bad_request"
handler500 = "portail.error_pages.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("messages/", views.MessagesView.as_view(), name="messages"),
    path("faq/", views.faq, name="faq"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path(PRIVACY_PATH.lstrip("/"), views.privacy, name="privacy"),
    path(DATA_EXPORT_PATH.lstrip("/"), personal_data_views.request_data_export,
         name="data_export"),
    path(f"{DATA_EXPORT_PATH.lstrip('/')}<uuid:pk>/", personal_data_views.download_data_export,
         name="data_export_download"),
    path(ERASURE_PATH.lstrip("/"), erasure_views.erasure_request, name="erasure_request"),
    path(f"{ERASURE_PATH.lstrip('/')}<int:pk>/annuler/", erasure_views.erasure_cancel,
         name="erasure_cancel"),
    path("sante/", views.health, name="health"),
    # Pages name their icon (templates/includes/favicon.html); a browser or a PDF reader
    # asking the conventional address is sent to the same file.
    path("favicon.ico", views.favicon),
    path("compte/", include("allauth.urls")),
    path("gestion/", admin.site.urls),
    path("", include("familles.urls")),
    path("", include("inscriptions.urls")),
    path("", include("reservations.urls")),
    path("", include("facturation.urls")),
]
