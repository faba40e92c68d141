from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroundConfig(AppConfig):
    """The ground: what every app may use and that imports no app (DESIGN.md, Architecture)."""

    name = "ground"
    verbose_name = _("Commune, messages et outils communs")

    def ready(self):
        from . import commune  # noqa: F401  (its signals forget the cached settings on save)
