"""The Celery app: the same entry point for `celery -A portail worker|beat` and the tests."""

import os

from celery import Celery
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portail.settings.production")

app = Celery("portail")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_postrun.connect
def release_database_connections(sender=None, **kwargs):
    """What Django does after each request: a connection goes back to the pool, or is
    dropped if it failed or grew too old, so the next task never inherits a broken one.
    Not for an eager task, which runs inside its caller's request or transaction."""
    from django.db import close_old_connections

    if getattr(getattr(sender, "request", None), "is_eager", False):
        return

    close_old_connections()
