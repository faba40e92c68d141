from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InscriptionsConfig(AppConfig):
    name = "inscriptions"
    verbose_name = _("Inscriptions et dossiers")
