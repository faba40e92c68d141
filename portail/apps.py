from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortailConfig(AppConfig):
    name = "portail"
    verbose_name = _("Portail")

    def ready(self):
        # The staff group gathers permissions of every app: that is the roof's job, so the
        # import stays local and the ground modules never import an app.
        from portail.staff import ensure_staff_group_after_migrate

        # Sending a message queues its writing by name (ground/task_queue.py).
        from . import tasks  # noqa: F401

        post_migrate.connect(ensure_staff_group_after_migrate, dispatch_uid="portail-staff-group")
