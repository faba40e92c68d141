"""Sessions logged in through Django's or allauth's backend now name familles'
(familles/auth_backends.py): without this, every parent would be logged out by the upgrade,
since Django only trusts a session whose backend is listed in AUTHENTICATION_BACKENDS.

Each stored session is decoded, its path replaced and encoded again; its copy in the cache
(`cached_db`) is dropped, so that the next request reads the new one. If the cache cannot be
reached now, the sessions it holds log out when their copy is read: said in the log."""

import logging

from django.conf import settings
from django.db import migrations
from django.utils import timezone

logger = logging.getLogger(__name__)

FORMER_PATHS = {  # the former path → the backend that replaces it
    "django.contrib.auth.backends.ModelBackend": "familles.auth_backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend":
        "familles.auth_backends.AuthenticationBackend",
}


def _move(apps, paths: dict[str, str]) -> None:
    from importlib import import_module

    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import caches

    Session = apps.get_model("sessions", "Session")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    moved = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(2000):
        data = store.decode(session.session_data)
        path = data.get("_auth_user_backend")
        if path in paths:
            data["_auth_user_backend"] = paths[path]
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])
            moved.append(KEY_PREFIX + session.session_key)
    if moved and settings.SESSION_ENGINE.endswith("cached_db"):
        try:
            cache = caches[settings.SESSION_CACHE_ALIAS]
            for start in range(0, len(moved), 1000):
                cache.delete_many(moved[start:start + 1000])
        except Exception:
            logger.warning("%s sessions moved but their cached copies not dropped: they will "
                           "log out when read from the cache", len(moved), exc_info=True)


def forwards(apps, schema_editor):
    _move(apps, FORMER_PATHS)


def backwards(apps, schema_editor):
    _move(apps, {new: old for old, new in FORMER_PATHS.items()})


class Migration(migrations.Migration):

    dependencies = [
        ("familles", "0003_document_expiry_notice_sent_at"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
