"""The Celery app: the same entry point for `celery -A portail worker|beat` and the tests."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portail.settings.production")

app = Celery("portail")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
