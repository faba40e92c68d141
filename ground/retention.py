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
from .outbox_queries import addressed_to

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


@transaction.atomic
def forget_address(address: str, replacement: str) -> int:
    """A closed account: the e-mails already sent (or abandoned) to `address` lose their body
    and name `replacement` instead; a pending one (the farewell e-mail) is still sent, and
    loses its body with the others after the commune's period."""
    messages = (OutboxMessage.objects.select_for_update()
                .filter(addressed_to([address]))
                .exclude(status=OutboxMessage.Status.PENDING))
    count = 0
    for message in messages:
        message.to = [replacement if to == address else to for to in message.to]
        message.body_text = message.body_html = message.sealed_body = ""
        message.save(update_fields=["to", "body_text", "body_html", "sealed_body"])
        count += 1
    return count
