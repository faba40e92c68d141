"""The test suite. SQLite by default; CI sets DATABASE_URL and REDIS_URL to the real services
and PORTAIL_REQUIRE_SERVICES=1 so that tests needing them fail instead of skipping."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ALLOWED_HOSTS = ["*"]
ACCOUNT_RATE_LIMITS = False
PORTAIL_REQUIRE_SERVICES = env.bool("PORTAIL_REQUIRE_SERVICES", default=False)
