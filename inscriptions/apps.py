from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InscriptionsConfig(AppConfig):
    name = "inscriptions"
    verbose_name = _("Inscriptions et dossiers")

    def ready(self):
        from ground.admin_health import health_data_accessed

        from . import receivers

        health_data_accessed.connect(receivers.on_health_data_accessed,
                                     dispatch_uid="inscriptions.health_data_accessed")
