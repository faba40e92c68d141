"""Sending a message to families (services of the roof).

`send_message` takes the staff's decision: in one transaction it locks the draft, records
one delivery per family of its audience (unique per message and family: a family never gets
it twice) and marks it sending; after commit a task writes the deliveries. `write_batch`
writes a batch of them, each family's e-mail (or letter to print, for a household with a
guardian without an e-mail address) in the outbox in the same transaction as the delivery
marked written: nothing is lost, nothing written twice, however often the task runs.
`resume_sending` is beat's safety net for a task lost with the broker.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.letters import write_to_family
from ground.task_queue import queue_task

from .audiences import audience_ids
from .models import Message, MessageDelivery

logger = logging.getLogger(__name__)

TEMPLATE = "family_message"  # templates/emails/family_message_{subject,body}.txt
BATCH = 200
# A message still sending this long after it was sent lost its task: beat queues it again.
RESUME_AFTER = timedelta(minutes=5)
WRITE_TASK = "portail.tasks.write_family_message"


def save_draft(message: Message, user) -> Message:
    """Create or edit a draft; a message already sent never changes."""
    with transaction.atomic():
        if message.pk is not None:
            current = Message.objects.select_for_update().get(pk=message.pk)
            if not current.is_draft:
                raise ValidationError(_("Ce message est déjà envoyé : il ne peut plus être "
                                        "modifié."))
        else:
            message.created_by = user
        message.full_clean()
        message.save()
    return message


def send_message(message_id: int, user, now=None) -> int:
    """Send a draft to its audience as it is now; returns the number of families. Refused,
    with a message staff can read, for a message already sent or an audience without any
    family."""
    now = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if not message.is_draft:
            raise ValidationError(_("Ce message a déjà été envoyé : il ne peut pas l'être une "
                                    "seconde fois."))
        family_ids = audience_ids(message, timezone.localdate(now))
        if not family_ids:
            raise ValidationError(_("Aucune famille ne correspond à ces destinataires : rien "
                                    "n'est envoyé."))
        MessageDelivery.objects.bulk_create(
            [MessageDelivery(message=message, family_id=family_id) for family_id in family_ids],
            batch_size=1000)
        message.state = Message.State.SENDING
        message.sent_at, message.sent_by = now, user
        message.save(update_fields=["state", "sent_at", "sent_by", "updated_at"])
        transaction.on_commit(lambda: queue_writing(message.pk))
    return len(family_ids)


def queue_writing(message_id: int) -> None:
    """Hand the writing to Celery; a broker outage is beat's to make up for."""
    try:
        queue_task(WRITE_TASK, message_id)
    except Exception:
        logger.warning("Message %s not queued; the beat job will resume it", message_id)


def write_batch(message_id: int, size: int = BATCH, now=None) -> int:
    """Write the e-mails or letters of up to `size` deliveries not written yet; returns how
    many this call wrote. Deliveries another worker holds are skipped, not waited for. The
    last batch marks the message sent."""
    now = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.get(pk=message_id)
        deliveries = list(MessageDelivery.objects.select_for_update(
            skip_locked=True, of=("self",)).filter(
            message=message, written_at__isnull=True).select_related("family").prefetch_related(
            "family__guardians__user").order_by("pk")[:size])
        context = {"message": message}
        for delivery in deliveries:
            # The record of what was written, as write_to_family chose it.
            delivery.emails, delivery.letter = write_to_family(TEMPLATE, delivery.family,
                                                               context)
            delivery.written_at = now
        MessageDelivery.objects.bulk_update(deliveries, ["written_at", "emails", "letter"])
        if not deliveries and not message.deliveries.filter(written_at__isnull=True).exists():
            Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
                state=Message.State.SENT, written_at=now)
    return len(deliveries)


def write_message(message_id: int) -> int:
    """Write every delivery of a message, batch after batch (each its own transaction);
    safe to run twice, even at the same time."""
    total = 0
    while True:
        written = write_batch(message_id)
        total += written
        if not written:
            return total


def resume_sending(now=None) -> list[int]:
    """Messages whose writing should have ended by now: queued again (beat)."""
    now = now or timezone.now()
    stuck = list(Message.objects.filter(state=Message.State.SENDING,
                                        sent_at__lte=now - RESUME_AFTER).values_list(
        "pk", flat=True))
    for message_id in stuck:
        queue_writing(message_id)
    return stuck
