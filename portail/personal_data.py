"""A household's data export (GDPR art. 15 and 20), its services: asked for from « Profil »,
built by Celery (portail.tasks.build_data_export) in the private storage, the link e-mailed
to the parent who asked, downloaded only by the household's guardians, each download written
in the family's journal, deleted when it expires (beat: portail.tasks.tidy_data_exports).
docs/donnees-personnelles.md, « Droit d'accès et portabilité (export) »."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from familles import journal
from familles.models import Family, FamilyEvent
from ground.links import absolute
from ground.outbox import queue_email
from ground.task_queue import queue_task

from .export_archive import write_archive
from .models import DataExport

logger = logging.getLogger(__name__)

BUILD_TASK = "portail.tasks.build_data_export"
VALID_FOR = datetime.timedelta(days=7)
# A build not done after this long lost its task (a broker outage, a worker killed): beat
# queues it again.
STALE_BUILD = datetime.timedelta(minutes=15)


class ExportExpired(Exception):
    """The household's export exists but its link has expired (the view says so in French)."""


def request_export(user, family: Family) -> DataExport:
    """A guardian of `family` asks for the export; one at a time per household."""
    with transaction.atomic():
        Family.objects.select_for_update().get(pk=family.pk)
        if DataExport.objects.filter(family=family, state=DataExport.State.BUILDING).exists():
            raise ValidationError(_("Une copie de vos données est déjà en préparation : vous "
                                    "recevrez un e-mail dès qu'elle sera prête."))
        try:
            with transaction.atomic():
                export = DataExport.objects.create(family=family, requested_by=user)
        except IntegrityError as exc:  # the constraint, should the lock be bypassed
            raise ValidationError(_("Une copie de vos données est déjà en préparation.")) from exc
        journal.record(family, _("Copie de toutes les données de la famille demandée."),
                       actor=user, channel=FamilyEvent.Channel.ONLINE)
        transaction.on_commit(lambda: queue_build(export.pk))
    return export


def queue_build(export_id) -> None:
    try:
        queue_task(BUILD_TASK, str(export_id))
    except Exception:  # any broker failure: beat queues it again (tidy_exports)
        logger.warning("Data export %s not queued; the beat job will retry it", export_id)


def build_export(export_id, now=None) -> DataExport | None:
    """Write the ZIP, mark the export ready and e-mail its link (safe to run twice: the row
    is locked and only a building export is built)."""
    now = now or timezone.now()
    with transaction.atomic():
        export = DataExport.objects.select_for_update(of=("self",)).select_related(
            "family", "requested_by").filter(pk=export_id, state=DataExport.State.BUILDING).first()
        if export is None:
            return None
        try:
            data = write_archive(export.family)
        except Exception:
            # Nothing half-written: the export is marked failed (the household may ask
            # again) and the error goes to the logs.
            logger.exception("Data export %s failed", export.pk)
            export.state = DataExport.State.FAILED
            export.save(update_fields=["state"])
            return export
        export.file.save(f"{export.pk}.zip", ContentFile(data), save=False)
        export.state, export.expires_at = DataExport.State.READY, now + VALID_FOR
        export.save(update_fields=["file", "state", "expires_at"])
        if export.requested_by is not None:
            queue_email("data_export_ready", export.requested_by.email, {
                "link": absolute(reverse("data_export_download", args=[export.pk])),
                "expires_at": timezone.localtime(export.expires_at)})
    return export


def open_export(user, family: Family, export_id, now=None) -> DataExport | None:
    """The export for a download by `user`, a guardian of `family`: None unless it is this
    household's (the view answers 404); ExportExpired once its link has expired. The
    download is written in the family's journal (who, when)."""
    now = now or timezone.now()
    export = DataExport.objects.filter(pk=export_id, family=family).exclude(
        state__in=[DataExport.State.BUILDING, DataExport.State.FAILED]).first()
    if export is None:
        return None
    if export.state == DataExport.State.EXPIRED or export.expires_at <= now:
        raise ExportExpired
    journal.record(family, _("Copie de toutes les données de la famille "
                                       "téléchargée."),
                   actor=user, channel=FamilyEvent.Channel.ONLINE)
    return export


def tidy_exports(now=None) -> int:
    """Beat: delete the files of expired exports, and queue again a build whose task was lost.
    Returns how many exports expired."""
    now = now or timezone.now()
    expired = 0
    for export_id in DataExport.objects.filter(
            state=DataExport.State.READY, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            export = DataExport.objects.select_for_update().filter(
                pk=export_id, state=DataExport.State.READY).first()
            if export is None:
                continue
            export.file.delete(save=False)
            export.state = DataExport.State.EXPIRED
            export.save(update_fields=["file", "state"])
            expired += 1
    for export_id in DataExport.objects.filter(
            state=DataExport.State.BUILDING,
            requested_at__lte=now - STALE_BUILD).values_list("pk", flat=True):
        queue_build(export_id)
    return expired
