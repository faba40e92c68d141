from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamillesConfig(AppConfig):
    name = "familles"
    verbose_name = _("Familles")
