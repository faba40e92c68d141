from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = _("Facturation")

    def ready(self):
        # The services queue the PDFs' rendering by name (ground/task_queue.py).
        from reservations.extensions import add_acceptance_handler

        from . import receivers, tasks  # noqa: F401

        add_acceptance_handler(receivers.credit_accepted_absence)
