"""The commune running the portal: what it decides, read from one row staff edit in the admin
(ground module: imports no app).

Every reader goes through `commune()`. The row is kept in Django's cache (Redis in production,
shared by web and worker), and each process keeps the copy it read for a few seconds more:
a page calls `commune()` several times (layout, e-mails, deadlines) and slot generation once
a day of the year, and unpickling the row from the cache each time costs far more than
reading the process's copy (docs/performance.md, "Issue 22"). Saving the row forgets both at
once, and again after commit (a reader between the two would otherwise cache the old
values): the process that saved, and every test, sees the edit immediately; another process
within LOCAL_SECONDS. The cache's timeout
only bounds what a rolled-back edit could leave behind."""

import functools
import time
import zlib

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .links import DATA_EXPORT_PATH, ERASURE_PATH, PRIVACY_PATH
from .models import CommuneSettings


@functools.cache
def cache_key() -> str:
    """The fields are in the key: after an upgrade that adds one, no process reads a copy
    pickled without it."""
    fields = " ".join(f.attname for f in CommuneSettings._meta.get_fields()
                      if getattr(f, "concrete", False))
    return f"ground:commune:{zlib.crc32(fields.encode()):08x}"


CACHE_SECONDS = 300
LOCAL_SECONDS = 5.0
# This process's copy: (monotonic time until which it is used, the row). The row is shared
# by the threads of the process and only ever read.
_local: dict = {}


def commune() -> CommuneSettings:
    """The commune's settings (created with the defaults if the row is missing)."""
    now = time.monotonic()
    held = _local.get("row")
    if held is not None and held[0] > now:
        return held[1]
    row = cache.get(cache_key())
    if row is None:
        row, _created = CommuneSettings.objects.get_or_create(pk=1)
        cache.set(cache_key(), row, CACHE_SECONDS)
    _local["row"] = (now + LOCAL_SECONDS, row)
    return row


def forget() -> None:
    """Drop the cached copies: the next reader takes the row from the database."""
    _local.clear()
    cache.delete(cache_key())


@transaction.atomic
def update_commune(**values) -> CommuneSettings:
    """Change some settings, checked as the admin checks them (ValidationError otherwise),
    with a line in their history."""
    row, _created = CommuneSettings.objects.select_for_update().get_or_create(pk=1)
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


def _changed(sender, **kwargs):
    forget()
    transaction.on_commit(forget)


post_save.connect(_changed, sender=CommuneSettings, dispatch_uid="ground.commune.saved")
post_delete.connect(_changed, sender=CommuneSettings, dispatch_uid="ground.commune.deleted")


def context_processor(request):
    return {"commune": commune(), "privacy_path": PRIVACY_PATH,
            "data_export_path": DATA_EXPORT_PATH, "erasure_path": ERASURE_PATH}
