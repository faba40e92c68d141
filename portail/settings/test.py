"""The test suite. SQLite by default; CI sets DATABASE_URL and REDIS_URL to the real services
and PORTAIL_REQUIRE_SERVICES=1 so that tests needing them fail instead of skipping."""

from .base import *  # noqa: F403
from .base import DEV_FIELD_KEY, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Eager by default; the real-worker tests start `celery worker` with this set to false and
# with a file-based e-mail backend, so that the test process can see what the worker sent.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=None)
ALLOWED_HOSTS = ["*"]
ACCOUNT_RATE_LIMITS = False
PORTAIL_REQUIRE_SERVICES = env.bool("PORTAIL_REQUIRE_SERVICES", default=False)
# On PostgreSQL, queries bind their parameters on the server, as in production: a query that
# only works with client-side binding fails here first.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405
        server_side_binding=True, prepare_threshold=5)
    # The real-worker test of connection reuse starts its worker with a pool, as production.
    if env.bool("PORTAIL_TEST_DB_POOL", default=False):
        DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 2}  # noqa: F405


def shared_cache(url: str, prefix: str) -> dict:
    """The real-worker tests give their worker the test process's cache (Redis, a prefix of
    their own), and take it themselves (tests/worker_fixture.py): the outbox's "drain queued"
    flag is shared by web and worker, as in production."""
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                        "KEY_PREFIX": prefix},
            "fragments": FRAGMENTS_CACHE}  # noqa: F405


if env("PORTAIL_TEST_CACHE_URL", default=""):
    CACHES = shared_cache(env("PORTAIL_TEST_CACHE_URL"),
                          env("PORTAIL_TEST_CACHE_PREFIX", default=""))
# The published key (portail/settings/base.py), unless the environment gives one.
FIELD_ENCRYPTION_KEYS = env.list("PORTAIL_FIELD_KEY", default=[DEV_FIELD_KEY])
