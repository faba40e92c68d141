"""Production: PostgreSQL (pooled), Redis for Celery and the cache, everything hardened.

Every secret comes from the environment; a missing one stops the start-up.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import FRAGMENTS_CACHE, PORTAIL_PAYMENT_PROVIDER, REDIS_URL, STORAGES, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
# The demonstration provider marks invoices paid with no money: never in production.
if PORTAIL_PAYMENT_PROVIDER == "demo":
    raise ImproperlyConfigured(
        "PORTAIL_PAYMENT_PROVIDER=demo is the demonstration's provider: it marks invoices "
        "paid without any money. Choose payfip or stripe, or leave it empty.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["OPTIONS"] = {
    # Parameters travel apart from the SQL, and a query a connection has run five times is
    # prepared: PostgreSQL stops parsing and planning it (rush bench: 10 -> 6 ms of its CPU
    # per parent). Migrations therefore run before the web and worker processes start
    # (docker-compose.yml), never under them. The test suite binds this way on PostgreSQL.
    # Behind a transaction-mode PgBouncer older than 1.21, set prepare_threshold to None.
    "server_side_binding": True,
    "prepare_threshold": 5,
    "pool": {
        "min_size": env.int("PORTAIL_DB_POOL_MIN", default=2),
        "max_size": env.int("PORTAIL_DB_POOL_MAX", default=8),
        "timeout": 10,
    },
}

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",  # keeps its client (docs/performance.md)
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
    },
    "fragments": FRAGMENTS_CACHE,
}

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
