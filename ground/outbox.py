"""Writing and delivering e-mails through the outbox (ground module: imports no app).

`queue_email` is called inside the transaction that takes the decision, so the message exists
if and only if the decision does. Delivery happens after commit, in Celery: the commit queues
a `drain_outbox` task, to start a second later, unless one is already queued and not started
(a flag in the cache, which web and worker share), and the drain sends every new message
through one mail-server connection. On opening day, 5,000 summaries are then a few broker
messages instead of 5,000, each request pays a cache `add` instead of Celery's publishing
(1.6 ms of CPU, measured), and the mail server sees one connection per second's batch. If
the cache or the broker is down, the beat job `requeue_unsent_messages` picks the message up
later, one task per message. `deliver` locks the row and checks its state, so a message is
sent once however many times it is queued.

A message whose body carries a secret (a reset, verification or invitation link) or health data
is queued with `content=SECRET` or `HEALTH`: its body is sealed (ground/sealing.py) instead of
stored in clear, and opened only to be sent (or, for health data, shown to staff allowed to see
it). A secret's seal is dropped in the transaction that marks the message sent, or abandoned:
nothing of it stays once it has left (docs/security.md, section 1).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from .commune import commune
from .links import privacy_url
from .models import OutboxMessage
from .sealing import seal, unseal
from .task_queue import queue_task

logger = logging.getLogger(__name__)


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render templates/emails/<template>_{subject.txt,body.txt,body.html}."""
    ctx = {"commune": commune(), "privacy_url": privacy_url(), **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}_body.txt", ctx).strip()
    try:
        html = render_to_string(f"emails/{template}_body.html", ctx).strip()
    except TemplateDoesNotExist:  # the HTML part is optional
        html = ""
    return subject, text, html


def queue_email(template: str, to: list[str] | str, context: dict, *,
                content=OutboxMessage.Content.ORDINARY) -> OutboxMessage | None:
    subject, text, html = render_email(template, context)
    return queue_message(to=to, subject=subject, body_text=text, body_html=html, template=template,
                         content=content)


def queue_message(
    *, to, subject: str, body_text: str, body_html: str = "", template: str = "",
    content=OutboxMessage.Content.ORDINARY,
) -> OutboxMessage | None:
    """Write the message in the caller's transaction. ``content``: SECRET or HEALTH when the
    body carries a secret or health data (the subject must carry neither: staff read it)."""
    message = _new_message(to=to, subject=subject, body_text=body_text, body_html=body_html,
                           template=template, content=content)
    if message is None:
        return None
    message.save()
    transaction.on_commit(lambda: kick(message.pk))
    return message


def queue_messages(messages: list[dict]) -> list[OutboxMessage]:
    """Many messages (each the keyword arguments of `queue_message`) in the caller's
    transaction, by batches of one INSERT each and one drain kicked at the commit: a
    publication writing to 5,000 households pays a few statements, not 5,000 round trips
    (docs/performance.md, "Issue 28")."""
    built = [m for m in (_new_message(**fields) for fields in messages) if m is not None]
    created = OutboxMessage.objects.bulk_create(built, batch_size=500)
    if created:
        transaction.on_commit(lambda: kick(created[0].pk))
    return created


def _new_message(*, to, subject: str, body_text: str, body_html: str = "", template: str = "",
                 content=OutboxMessage.Content.ORDINARY) -> OutboxMessage | None:
    recipients = [address for address in ([to] if isinstance(to, str) else to) if address]
    if not recipients:
        # e.g. a household whose guardians were all removed: nobody to write to
        logger.warning("No recipient for %r: message not queued", subject)
        return None
    body = {"body_text": body_text, "body_html": body_html}
    if content in OutboxMessage.SEALED:
        body = {"sealed_body": seal({"text": body_text, "html": body_html})}
    return OutboxMessage(
        template=template,
        to=recipients,
        subject=subject,
        content=content,
        # The sender is the operators' (the SMTP account may only send as it); the
        # commune's own address when they set none, as before it became data.
        from_email=settings.DEFAULT_FROM_EMAIL or commune().service_email,
        reply_to=commune().service_email,
        **body,
    )


# Set while a drain is queued and not started: a message committed meanwhile needs no task of
# its own, that drain will read it. The flag expires by itself, should that task be lost (the
# beat job sends the messages meanwhile).
DRAIN_QUEUED = "portail:outbox:drain-queued"
DRAIN_QUEUED_SECONDS = 60
DRAIN_BATCH = 100
# A drain starts this long after the commit that queued it, so that a burst gathers: on
# opening day a worker that keeps up would otherwise drain one message at a time, paying a
# task, a query and a mail-server connection for each (half its CPU in the rush, measured).
DRAIN_GATHER_SECONDS = 1


def kick(message_id: int) -> None:
    """After a new message's commit: make sure a drain is queued. Never lets a cache or
    broker outage reach the caller."""
    try:
        if cache.add(DRAIN_QUEUED, True, DRAIN_QUEUED_SECONDS):
            try:
                queue_task("ground.tasks.drain_outbox", countdown=DRAIN_GATHER_SECONDS)
            except Exception:
                cache.delete(DRAIN_QUEUED)  # nothing was queued: the next message tries
                raise
    except Exception:  # any cache or broker failure: the row is safe, the beat job sends it
        logger.warning("Outbox message %s not queued; the beat job will retry it", message_id)


def dispatch(message_id: int) -> None:
    """Hand one message to Celery (the beat job's retries, the admin's action); never let a
    broker outage reach the caller."""
    try:
        queue_task("ground.tasks.send_outbox_message", message_id)
    except Exception:  # any broker failure: the row is safe, the beat job re-queues it
        logger.warning("Outbox message %s not queued; the beat job will retry it", message_id)


def drain() -> int:
    """Send the messages never tried yet, oldest first, through one connection to the mail
    server; returns how many this call sent. A message that failed once waits for the beat
    job's back-off instead."""
    cache.delete(DRAIN_QUEUED)  # first: a message committed from now on queues a new drain
    sent, after, connection = 0, 0, None
    try:
        while True:
            ids = list(OutboxMessage.objects.filter(
                status=OutboxMessage.Status.PENDING, attempts=0, pk__gt=after,
            ).order_by("pk").values_list("pk", flat=True)[:DRAIN_BATCH])
            if not ids:
                return sent
            if connection is None:
                connection = _open_connection()
            for message_id in ids:
                sent += deliver(message_id, connection=connection)
            after = ids[-1]
    finally:
        if connection is not None:
            connection.close()


def _open_connection():
    """The mail server's connection for a whole drain; if it cannot be opened now, each
    message tries on its own and records its failure for the back-off."""
    connection = get_connection()
    try:
        connection.open()
    except Exception:
        logger.warning("Mail server unreachable at the start of a drain", exc_info=True)
    return connection


def deliver(message_id: int, *, connection=None) -> bool:
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
            _send(message, connection)
        except Exception as exc:
            if connection is not None:
                connection.close()  # perhaps broken: the next message opens a new one
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                _forget_when_done(message)  # a dead link is not kept: the person asks again
            message.save(update_fields=["attempts", "last_attempt_at", "last_error", "status",
                                        *DONE_FIELDS])
            logger.warning("Outbox message %s failed: %s", message_id, message.last_error)
            return False
        message.status = OutboxMessage.Status.SENT
        message.sent_at = message.last_attempt_at
        message.last_error = ""
        _forget_when_done(message)
        message.save(update_fields=["attempts", "last_attempt_at", "last_error", "status",
                                    "sent_at", *DONE_FIELDS])
        return True


# What a message delivered or abandoned may lose (_forget_when_done).
DONE_FIELDS = ["sealed_body", "to", "body_text", "body_html"]
FORGOTTEN_ADDRESS = "adresse-effacee@invalid.invalid"


def _forget_when_done(message: OutboxMessage) -> None:
    """A secret's body, or a closed account's address and farewell, is not kept once the
    message is delivered or abandoned."""
    if message.content == OutboxMessage.Content.SECRET:
        message.sealed_body = ""
    elif message.content == OutboxMessage.Content.FAREWELL:
        message.to = [FORGOTTEN_ADDRESS]
        message.body_text = message.body_html = ""


def bodies(message: OutboxMessage) -> tuple[str, str]:
    """The message's text and HTML bodies, unsealed if need be (to send it, or to show health
    data to staff allowed to see it); ("", "") for a secret already sent or abandoned."""
    if message.content not in OutboxMessage.SEALED:
        return message.body_text, message.body_html
    if not message.sealed_body:
        return "", ""
    parts = unseal(message.sealed_body)
    return parts["text"], parts["html"]


def _send(message: OutboxMessage, connection=None) -> None:
    if message.content in OutboxMessage.SEALED and not message.sealed_body:
        raise ValueError("sealed body already dropped")  # never an empty e-mail
    text, html = bodies(message)
    email = EmailMultiAlternatives(
        connection=connection,
        subject=message.subject,
        body=text,
        from_email=message.from_email,
        to=message.to,
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={"Message-ID": f"<outbox-{message.pk}@portail-famille>"},
    )
    if html:
        email.attach_alternative(html, "text/html")
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
