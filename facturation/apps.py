from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = _("Facturation")

    def ready(self):
        # The services queue the PDFs' rendering by name (ground/task_queue.py).
        from . import tasks  # noqa: F401
