from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroundConfig(AppConfig):
    """The ground: what every app may use and that imports no app (DESIGN.md, Architecture)."""

    name = "ground"
    verbose_name = _("Commune, messages et outils communs")

    def ready(self):
        # The outbox queues its tasks by name (ground/task_queue.py); the commune's signals
        # forget the cached settings on save; crypto registers its system checks.
        from . import commune, crypto, tasks  # noqa: F401
