"""Retention of the ground's personal data: the bodies of sent e-mails
(docs/donnees-personnelles.md, « Durées de conservation »). Metadata (who, when, subject,
template, state) is kept."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .commune import commune
from .models import OutboxMessage

logger = logging.getLogger(__name__)


@transaction.atomic
def purge_access_log(model, now=None) -> int:
    """Delete the traces of an access log (its `accessed_at`) older than the commune's
    setting: shared by the apps that keep such traces."""
    cutoff = (now or timezone.now()) - timedelta(days=commune().retention_access_log_days)
    count, _by_model = model.objects.filter(accessed_at__lt=cutoff).delete()
    logger.info("Retention: %d traces of %s deleted", count, model.__name__)
    return count


@transaction.atomic
def purge_outbox_bodies(now=None) -> int:
    """Empty the body of every message sent (or abandoned) longer ago than the commune's
    setting."""
    cutoff = (now or timezone.now()) - timedelta(days=commune().retention_outbox_body_days)
    count = (OutboxMessage.objects
             .filter(Q(status=OutboxMessage.Status.SENT, sent_at__lt=cutoff)
                     | Q(status=OutboxMessage.Status.FAILED, created_at__lt=cutoff))
             .exclude(body_text="", body_html="", sealed_body="")
             .update(body_text="", body_html="", sealed_body=""))
    logger.info("Retention: %d outbox bodies emptied", count)
    return count
