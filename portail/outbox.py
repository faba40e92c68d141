"""Writing and delivering e-mails through the outbox (ground module: imports no app).

`queue_email` is called inside the transaction that takes the decision, so the message exists
if and only if the decision does. Delivery happens after commit, in Celery; if the broker is
down, the beat job `requeue_unsent_messages` picks the message up later. `deliver` locks the
row and checks its state, so a message is sent once however many times it is queued.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from .commune import commune
from .models import OutboxMessage

logger = logging.getLogger(__name__)


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render templates/emails/<template>_{subject.txt,body.txt,body.html}."""
    ctx = {"commune": commune(), **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}_body.txt", ctx).strip()
    try:
        html = render_to_string(f"emails/{template}_body.html", ctx).strip()
    except TemplateDoesNotExist:  # the HTML part is optional
        html = ""
    return subject, text, html


def queue_email(template: str, to: list[str] | str, context: dict) -> OutboxMessage | None:
    subject, text, html = render_email(template, context)
    return queue_message(to=to, subject=subject, body_text=text, body_html=html, template=template)


def queue_message(
    *, to, subject: str, body_text: str, body_html: str = "", template: str = ""
) -> OutboxMessage | None:
    recipients = [address for address in ([to] if isinstance(to, str) else to) if address]
    if not recipients:
        # e.g. a household whose guardians were all removed: nobody to write to
        logger.warning("No recipient for %r: message not queued", subject)
        return None
    message = OutboxMessage.objects.create(
        template=template,
        to=recipients,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        reply_to=commune()["service_email"],
    )
    transaction.on_commit(lambda: dispatch(message.pk))
    return message


def dispatch(message_id: int) -> None:
    """Hand a message to Celery; never let a broker outage reach the caller."""
    from .tasks import send_outbox_message

    try:
        send_outbox_message.delay(message_id)
    except Exception:  # any broker failure: the row is safe, the beat job re-queues it
        logger.warning("Outbox message %s not queued; the beat job will retry it", message_id)


def deliver(message_id: int) -> bool:
    """Send one message if still pending. Returns True when this call sent it."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        message.last_attempt_at = timezone.now()
        try:
            _send(message)
        except Exception as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            message.save(update_fields=["attempts", "last_attempt_at", "last_error", "status"])
            logger.warning("Outbox message %s failed: %s", message_id, message.last_error)
            return False
        message.status = OutboxMessage.Status.SENT
        message.sent_at = message.last_attempt_at
        message.last_error = ""
        message.save(
            update_fields=["attempts", "last_attempt_at", "last_error", "status", "sent_at"]
        )
        return True


def _send(message: OutboxMessage) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=message.to,
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={"Message-ID": f"<outbox-{message.pk}@portail-famille>"},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send(fail_silently=False)


def stale_message_ids(now=None) -> list[int]:
    """Pending messages old enough that their first dispatch must have been lost or failed.

    The wait between attempts grows with the number of attempts (1, 2, 4… minutes, capped at
    an hour) so that a broken mail server is not hammered."""
    now = now or timezone.now()
    base = settings.OUTBOX_REQUEUE_AFTER_SECONDS
    candidates = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, created_at__lte=now - timedelta(seconds=base)
    ).values_list("pk", "attempts", "last_attempt_at")
    due = []
    for pk, attempts, last_attempt_at in candidates.iterator():
        wait = timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))
        if last_attempt_at is None or last_attempt_at <= now - wait:
            due.append(pk)
    return due
