"""Settings shared by every environment; each value can come from the environment.

The modules next to this one (dev, test, production) only change what differs.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
# Earlier keys, still accepted after a rotation: sessions, and the outbox bodies sealed before
# it (ground/sealing.py). Drop one once the messages written under it are sent.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
# Fernet keys of the fields encrypted at rest (ground/crypto.py), comma-separated, the newest
# first. Required in production (system check ground.E001); dev and test use DEV_FIELD_KEY.
FIELD_ENCRYPTION_KEYS = env.list("PORTAIL_FIELD_KEY", default=[])
DEV_FIELD_KEY = "ZGV2LW9ubHkta2V5LWZvci1wb3J0YWlsLWZpZWxkcyE="  # published: dev and test only
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portail.admin_config.PortailAdminConfig",  # django.contrib.admin: health guard, 2nd factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "import_export",
    "django_filters",
    "ground",  # the ground: imports no app
    "familles",
    "inscriptions",
    "reservations",
    "facturation",
    "portail",  # the roof: imported by no app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portail.urls"
WSGI_APPLICATION = "portail.wsgi.application"

# The layout's parts that are the same for every visitor of a kind ({% cache %} in
# base.html, keyed by language, script prefix and what they show): rendered once per process.
FRAGMENTS_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                   "LOCATION": "fragments"}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ground.commune.context_processor",
                "portail.context_processors.erasure",
            ],
            # French wording (« 1er septembre », « d'Inès », « inscrite »): ground.french.
            "builtins": ["ground.templatetags.french"],
        },
    },
    {  # The calendar's hot fragments (docs/performance.md, "Issue 22"): only templates/jinja2/.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "ground.jinja_env.environment"},
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portail.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "familles.User"
AUTHENTICATION_BACKENDS = [  # Django's and allauth's, reading the user with his family
    "familles.auth_backends.ModelBackend",
    "familles.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Front-end packages come from npm (package-lock.json) and are served from here, never a CDN.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Families' documents live outside any web root and are only served by a view that checks
# permissions; there is deliberately no MEDIA_URL for them.
PRIVATE_MEDIA_ROOT = env.path("PORTAIL_PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")
DOCUMENT_MAX_BYTES = env.int("PORTAIL_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o640

SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Parents log in before an opening and stay logged in: a login costs far more CPU than a booking.
SESSION_COOKIE_AGE = env.int("PORTAIL_SESSION_DAYS", default=30) * 24 * 3600
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# One process's memory (dev, tests); production shares Redis between its workers.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          "fragments": FRAGMENTS_CACHE}

# --- allauth ---------------------------------------------------------------------------
ACCOUNT_ADAPTER = "familles.adapters.AccountAdapter"
# An unverified address never blocks a sign-up (security review, finding 9).
ACCOUNT_FORMS = {"signup": "familles.adapters.PortalSignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key,20/d/key",
    "reset_password": "10/m/ip,3/10m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "10/m/ip",
    # What a sign-up sends (a verification, or « you already have an account »): one per
    # e-mail address every 3 minutes, whoever asks (allauth's default, written out).
    "confirm_email": "1/3m/key",
}
# Behind the reverse proxy every request comes from the proxy's address: the limits above
# take each parent's own from X-Forwarded-For, counting back this many hops (each proxy
# appends the address it saw). 0, the default, ignores the header, which a client can forge.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("PORTAIL_TRUSTED_PROXIES", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Staff must keep their TOTP device (familles/second_factor.py); parents may remove theirs.
MFA_ADAPTER = "familles.adapters.MFAAdapter"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- the commune ----------------------------------------------------------------------------
# What the commune decides (name, contacts, zone, delays, payment methods, régie…) is data
# staff edit in the admin (ground.models.CommuneSettings, read through ground.commune).
# The sender of every e-mail is the operators' (the SMTP account must be allowed to send as
# it); empty, the outbox sends as the service's address of the commune's settings.
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="")
SERVER_EMAIL = DEFAULT_FROM_EMAIL or "root@localhost"

# The permission that opens health data (inscriptions' AnnualFile declares it): named here, by
# the roof, for the ground's outbox admin, which may not name an app (DESIGN.md, Architecture).
PORTAIL_HEALTH_PERMISSION = "inscriptions.view_health_data"

# --- e-mail: every message goes through the outbox (ground.outbox) --------------------
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 20
OUTBOX_REQUEUE_AFTER_SECONDS = env.int("PORTAIL_OUTBOX_REQUEUE_AFTER", default=120)
OUTBOX_MAX_ATTEMPTS = env.int("PORTAIL_OUTBOX_MAX_ATTEMPTS", default=20)

# --- Celery ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# A broker outage must not hang a parent's request: the outbox keeps the message and
# the beat job re-queues it, so one quick attempt is enough here.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# Without this, Celery closes a prefork child's connection pool after every task, so that
# each e-mail opened three new PostgreSQL connections (measured on the rush bench: 1,440
# backends started for 480 e-mails, a third of PostgreSQL's CPU). The pool is kept for this
# many tasks; portail.celery hands the connection back to it, checked, after each task.
CELERY_DB_REUSE_MAX = env.int("PORTAIL_WORKER_DB_REUSE_MAX", default=1000)
CELERY_BEAT_SCHEDULE = {
    "outbox-requeue": {"task": "ground.tasks.requeue_unsent_messages", "schedule": 60.0},
    # Each household's booking session over (quiet for the commune's minutes): one summary.
    "booking-summaries": {"task": "reservations.tasks.send_booking_summaries", "schedule": 60.0},
    "subscriptions-into-opened-periods": {
        "task": "reservations.tasks.apply_subscriptions_to_opened_periods", "schedule": 5 * 60.0,
    },
    "campaign-opening": {
        "task": "inscriptions.tasks.send_campaign_opening_notices", "schedule": 15 * 60.0,
    },
    "campaign-deadline": {
        "task": "inscriptions.tasks.send_campaign_deadline_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "document-expiry": {
        "task": "familles.tasks.send_document_expiry_notices",
        "schedule": crontab(hour=9, minute=30),
    },
    # The month just ended, drafted for staff to check (never issued by beat).
    "billing-prepare-previous-month": {
        "task": "facturation.tasks.prepare_previous_month",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "invoice-reminders": {
        "task": "facturation.tasks.send_overdue_reminders",
        "schedule": crontab(hour=9, minute=45),
    },
    # A message to families whose writing task was lost with the broker.
    "family-messages-resume": {
        "task": "portail.tasks.resume_family_messages", "schedule": 5 * 60.0,
    },
    # Online payments nobody answered: asked of their provider, then expired.
    "payment-attempts-expire": {
        "task": "facturation.tasks.expire_stale_payment_attempts", "schedule": 10 * 60.0,
    },
}
# Online payment (Stripe Checkout): without a secret key the portal says online payment is
# not configured and never calls Stripe; the webhook secret verifies Stripe's signatures.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_CURRENCY = env("STRIPE_CURRENCY", default="eur")
# Which provider « Payer en ligne » uses (docs/paiements.md): "payfip", "stripe", "demo"
# (`make run`'s, refused in production), or empty: PayFiP if its client number is set, else
# Stripe if its key is. The commune's settings still decide whether card payment is offered.
PORTAIL_PAYMENT_PROVIDER = env("PORTAIL_PAYMENT_PROVIDER", default="")
if PORTAIL_PAYMENT_PROVIDER not in ("", "payfip", "stripe", "demo"):
    raise ImproperlyConfigured("PORTAIL_PAYMENT_PROVIDER: payfip, stripe, demo or empty")
# PayFiP (DGFiP): the régie's client number, six digits; the mode: T test, X activation,
# W production; the public address PayFiP notifies and sends parents back to, when the
# request's own host is not it (empty: the request's).
PAYFIP_NUMCLI = env("PAYFIP_NUMCLI", default="")
PAYFIP_MODE = env("PAYFIP_MODE", default="T")
# The portal's public address, for the links e-mails carry when no request is at hand (a
# Celery task): the « Données personnelles » page in every e-mail's footer, a data export.
PORTAIL_BASE_URL = env("PORTAIL_BASE_URL", default="http://localhost:8000").rstrip("/")
PAYFIP_BASE_URL = env("PAYFIP_BASE_URL", default="").rstrip("/")
if PAYFIP_NUMCLI and not (PAYFIP_NUMCLI.isdigit() and len(PAYFIP_NUMCLI) == 6):
    raise ImproperlyConfigured("PAYFIP_NUMCLI: the six digits given by the DGFiP")
if PAYFIP_MODE not in ("T", "X", "W"):
    raise ImproperlyConfigured("PAYFIP_MODE: T (test), X (activation) or W (production)")
# How long a booking waits for a slot's lock before answering "try again" (PostgreSQL).
PORTAIL_BOOKING_LOCK_TIMEOUT_MS = env.int("PORTAIL_BOOKING_LOCK_TIMEOUT_MS", default=2000)
# Invitations of a second guardian (security review, finding 5): the most a family sends
# in 24 hours (cancelled ones included), and the most it has waiting at once.
PORTAIL_INVITATIONS_PER_DAY = env.int("PORTAIL_INVITATIONS_PER_DAY", default=5)
PORTAIL_INVITATIONS_OPEN_MAX = env.int("PORTAIL_INVITATIONS_OPEN_MAX", default=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"},
                # WeasyPrint logs every rendering step at INFO.
                "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- security headers shared by every environment --------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The Django admin still writes a few style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'", "https://checkout.stripe.com", "https://www.payfip.gouv.fr"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- request size (review finding 7) -------------------------------------------------------
# A body announced bigger than this is refused (413, French page) before it is read: the
# largest form, the dossier administratif, carries four documents. The reverse proxy must
# hold the same limit (README, « Production deployment »). Form fields alone stay under
# Django's 2.5 MB; a form carries at most four files.
REQUEST_MAX_BYTES = env.int("PORTAIL_REQUEST_MAX_BYTES",
                            default=4 * DOCUMENT_MAX_BYTES + 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# Inside the security headers' middleware (its page carries them), before any that reads a body.
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1,
                  "ground.request_limits.RequestLimitsMiddleware")

# --- Error pages (issue 23, item 10) ----------------------------------------------------------
# An empty 405 becomes the French page (innermost: the page has the user and the messages);
# a CSRF failure answers the portal's page instead of Django's English one.
MIDDLEWARE.append("portail.error_pages.MethodNotAllowedPageMiddleware")
CSRF_FAILURE_VIEW = "portail.error_pages.csrf_failure"

# --- Personal data (issue 27) ----------------------------------------------------------------
# Families' data exports: expired ones deleted, lost builds queued again.
CELERY_BEAT_SCHEDULE["data-exports-tidy"] = {
    "task": "portail.tasks.tidy_data_exports", "schedule": 15 * 60.0,
}

# --- Attestations (issue 26) ----------------------------------------------------------------
# In January, the attestations fiscales of the year just ended are drafted for staff to check
# (never published by beat: staff publish them from the admin, which e-mails the families).
CELERY_BEAT_SCHEDULE["attestations-fiscal-drafts"] = {
    "task": "facturation.tasks.prepare_fiscal_attestations",
    "schedule": crontab(month_of_year=1, day_of_month=5, hour=6, minute=30),
}

# --- Personal data (issue 27) -----------------------------------------------------------------
# Each night, what has outlived its retention period goes (docs/donnees-personnelles.md).
CELERY_BEAT_SCHEDULE["personal-data-retention"] = {
    "task": "portail.tasks.apply_retention",
    "schedule": crontab(hour=3, minute=15),
}
