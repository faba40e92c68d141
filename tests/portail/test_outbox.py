"""The outbox (DESIGN.md, invariant 5): no e-mail is lost, none is sent twice.

Celery runs eagerly here (portail.settings.test), so a task queued after commit runs at once;
`django_capture_on_commit_callbacks(execute=True)` plays the commit of the test's transaction.
The real worker and broker are exercised in test_celery_worker.py.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from ground import outbox, tasks
from ground.models import OutboxMessage

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
BROKEN = "tests.helpers.BrokenSMTPBackend"


def queue(**kwargs) -> OutboxMessage:
    return outbox.queue_message(
        to=kwargs.pop("to", "parent@example.org"),
        subject=kwargs.pop("subject", "Votre dossier est validé"),
        body_text=kwargs.pop("body_text", "Bonjour, votre dossier administratif est validé."),
        **kwargs,
    )


def sent_to(message: OutboxMessage) -> list:
    header = f"<outbox-{message.pk}@portail-famille>"
    return [m for m in mail.outbox if m.extra_headers.get("Message-ID") == header]


class RolledBack(Exception):
    pass


@pytest.mark.django_db
def test_a_message_queued_in_a_rolled_back_transaction_is_neither_kept_nor_sent(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RolledBack),
        transaction.atomic(),
    ):
        queue(subject="Décision annulée")
        raise RolledBack

    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_message_queued_in_a_committed_transaction_is_sent_once_and_marked_sent(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = queue(to=["parent@example.org", "autre@example.org"], body_html="<p>Validé</p>")
        # Nothing leaves before the decision is committed.
        assert mail.outbox == []

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.last_error == ""
    [email] = mail.outbox
    assert email.subject == "Votre dossier est validé"
    assert email.to == ["parent@example.org", "autre@example.org"]
    assert email.reply_to == [message.reply_to]
    assert email.alternatives[0].content == "<p>Validé</p>"
    assert email.extra_headers["Message-ID"] == f"<outbox-{message.pk}@portail-famille>"


@pytest.mark.django_db
def test_delivering_the_same_message_twice_sends_it_once():
    message = queue()  # no commit played: nothing dispatched yet

    assert outbox.deliver(message.pk) is True
    assert outbox.deliver(message.pk) is False
    assert tasks.send_outbox_message(message.pk) is False

    assert len(sent_to(message)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 1)


@pytest.mark.django_db
def test_an_unknown_message_id_is_ignored():
    assert outbox.deliver(987654) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_smtp_failure_keeps_the_message_and_the_beat_job_sends_it_after_the_backoff(
    settings, time_machine, django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = BROKEN
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert "SMTPServerDisconnected" in message.last_error
    assert message.sent_at is None

    # The beat job leaves it alone until the wait is over, whatever the mail server does.
    time_machine.move_to(start + timedelta(seconds=30), tick=False)
    assert tasks.requeue_unsent_messages() == 0

    settings.EMAIL_BACKEND = LOCMEM
    time_machine.move_to(
        start + timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS + 1), tick=False
    )
    assert tasks.requeue_unsent_messages() == 1

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 2
    assert message.last_error == ""
    assert message.sent_at == start + timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS + 1)
    assert len(sent_to(message)) == 1

    # Later runs of the beat job find nothing to do: sent once, not twice.
    time_machine.move_to(start + timedelta(hours=2), tick=False)
    assert tasks.requeue_unsent_messages() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_wait_between_attempts_grows_and_is_capped(settings, time_machine):
    settings.EMAIL_BACKEND = BROKEN
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    message = queue()
    base = settings.OUTBOX_REQUEUE_AFTER_SECONDS
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=3, last_attempt_at=start - timedelta(seconds=base),
        created_at=start - timedelta(days=1),
    )
    # After 3 attempts the wait is 4 × base.
    assert outbox.stale_message_ids(now=start) == []
    assert outbox.stale_message_ids(now=start + timedelta(seconds=3 * base)) == [message.pk]

    OutboxMessage.objects.filter(pk=message.pk).update(attempts=15)
    assert outbox.stale_message_ids(now=start + timedelta(seconds=3600 - base - 1)) == []
    assert outbox.stale_message_ids(now=start + timedelta(seconds=3600 - base)) == [message.pk]


@pytest.mark.django_db
def test_after_too_many_failures_the_message_is_failed_and_staff_see_it(
    settings, staff_client,
):
    settings.EMAIL_BACKEND = BROKEN
    settings.OUTBOX_MAX_ATTEMPTS = 3
    failed = queue(subject="Message qui ne part pas")
    pending = queue(subject="Message encore en attente")

    for _attempt in range(3):
        assert outbox.deliver(failed.pk) is False
    # Abandoned: further deliveries do not even try.
    assert outbox.deliver(failed.pk) is False

    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.FAILED
    assert failed.attempts == 3
    assert "SMTPServerDisconnected" in failed.last_error
    assert outbox.stale_message_ids(now=timezone.now() + timedelta(days=1)) == [pending.pk]

    response = staff_client.get("/gestion/ground/outboxmessage/?status=failed")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Message qui ne part pas" in page
    assert "Message encore en attente" not in page

    # The filter in the sidebar leads to the same list.
    response = staff_client.get("/gestion/ground/outboxmessage/?status__exact=failed")
    assert "Message qui ne part pas" in response.content.decode()
    assert "Message encore en attente" not in response.content.decode()


@pytest.mark.django_db
def test_a_broker_outage_at_dispatch_does_not_reach_the_caller_and_the_message_waits(
    monkeypatch, caplog, django_capture_on_commit_callbacks,
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.drain_outbox, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = queue()

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 0
    assert mail.outbox == []
    assert f"Outbox message {message.pk} not queued" in caplog.text
    # The beat job will pick it up once it is old enough.
    later = timezone.now() + timedelta(minutes=3)
    assert outbox.stale_message_ids(now=later) == [message.pk]

    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    assert tasks.requeue_unsent_messages() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert len(sent_to(message)) == 1


@pytest.mark.django_db
def test_the_admin_retry_action_requeues_failed_and_pending_messages(settings, staff_client):
    settings.EMAIL_BACKEND = BROKEN
    settings.OUTBOX_MAX_ATTEMPTS = 1
    failed = queue(subject="Échec")
    outbox.deliver(failed.pk)
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.FAILED
    waiting = queue(subject="En attente")
    already_sent = queue(subject="Déjà envoyé")
    settings.EMAIL_BACKEND = LOCMEM
    outbox.deliver(already_sent.pk)
    assert len(mail.outbox) == 1

    response = staff_client.post(
        "/gestion/ground/outboxmessage/",
        {"action": "retry_now",
         "_selected_action": [failed.pk, waiting.pk, already_sent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    notices = [str(m) for m in response.context["messages"]]
    assert notices == ["2 message(s) remis en file d'envoi."]
    for message in (failed, waiting, already_sent):
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.SENT
    assert len(sent_to(failed)) == 1
    assert len(sent_to(waiting)) == 1
    assert len(sent_to(already_sent)) == 1
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_blank_addresses_are_dropped_and_a_message_to_nobody_is_not_queued(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        kept = queue(to=["", "parent@example.org", None])
        for nobody in ([], ["", None], ""):
            assert queue(to=nobody, subject="Sans destinataire") is None

    assert list(OutboxMessage.objects.values_list("to", flat=True)) == [["parent@example.org"]]
    assert [m.to for m in sent_to(kept)] == [["parent@example.org"]]


class CountingBackend(BaseEmailBackend):
    """The local memory backend, counting the connections opened to the "mail server"."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return True

    def send_messages(self, email_messages):
        mail.outbox.extend(email_messages)
        return len(email_messages)


@pytest.mark.django_db
def test_messages_committed_while_a_drain_is_queued_need_no_task_and_share_a_connection(
    monkeypatch, settings, django_capture_on_commit_callbacks,
):
    """Opening day: thousands of summaries in a minute. The first commit queues a drain; the
    next ones find it queued and queue nothing; the drain sends them all through one
    connection to the mail server; a message committed after it started queues another."""
    queued = []
    monkeypatch.setattr(tasks.drain_outbox, "apply_async",
                        lambda args=(), countdown=None: queued.append(("drain", countdown)))
    settings.EMAIL_BACKEND = "tests.portail.test_outbox.CountingBackend"
    CountingBackend.opened = 0
    messages = []
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            messages.append(queue(subject=f"Réservations n° {n}"))
    assert queued == [("drain", outbox.DRAIN_GATHER_SECONDS)]  # a burst gathers meanwhile
    assert mail.outbox == []

    assert tasks.drain_outbox() == 3
    assert [len(sent_to(m)) for m in messages] == [1, 1, 1]
    assert CountingBackend.opened == 1
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 3

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        late = queue(subject="Arrivé après le départ du lot")
    assert len(queued) == 2
    assert tasks.drain_outbox() == 1
    assert len(sent_to(late)) == 1
    assert tasks.drain_outbox() == 0  # nothing left: and no connection opened for nothing
    assert CountingBackend.opened == 2


@pytest.mark.django_db
def test_a_drain_leaves_a_message_that_already_failed_to_the_beat_jobs_back_off(settings):
    settings.EMAIL_BACKEND = BROKEN
    failed = queue(subject="Serveur en panne")
    assert tasks.drain_outbox() == 0
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboxMessage.Status.PENDING, 1)

    settings.EMAIL_BACKEND = LOCMEM  # the server is back: the drain does not hammer it again
    fresh = queue(subject="Nouveau message")
    assert tasks.drain_outbox() == 1
    assert sent_to(failed) == [] and len(sent_to(fresh)) == 1
    failed.refresh_from_db()
    assert failed.attempts == 1  # the beat job retries it after its back-off
    later = timezone.now() + timedelta(minutes=5)
    assert outbox.stale_message_ids(now=later) == [failed.pk]
