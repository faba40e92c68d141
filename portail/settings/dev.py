"""The embedded default: SQLite under var/, Celery eager, e-mails printed on the console.

What `make run` uses; nothing to install beside Python and npm.
"""

from .base import *  # noqa: F403
from .base import DEV_FIELD_KEY, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
# Online payment without a bank or internet: the demonstration provider (docs/paiements.md).
PORTAIL_PAYMENT_PROVIDER = env("PORTAIL_PAYMENT_PROVIDER", default="demo")
# The published key (portail/settings/base.py), unless the environment gives one.
FIELD_ENCRYPTION_KEYS = env.list("PORTAIL_FIELD_KEY", default=[DEV_FIELD_KEY])
