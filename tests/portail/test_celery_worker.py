"""A real Celery worker against Redis delivers the outbox (DESIGN.md, invariant 5; issue 3).

The worker is the same entry point production runs (`celery -A portail worker`), started as a
subprocess on the test database; both processes must see each other's commits, hence
PostgreSQL and transactional tests. The worker writes e-mails to files (Django's file-based
backend), which is how this process sees what it sent.

Each test process uses its own queue, so that `pytest -n 2` (two test processes, one Redis)
never lets one process's worker take the other's tasks.
"""

import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from ground import outbox, tasks
from ground.models import OutboxMessage
from tests.scenarios.accounts import UserFactory
from tests.worker_fixture import UNREACHABLE_BROKER, celery_conf

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

def queue_decision_email(subject: str) -> OutboxMessage:
    with transaction.atomic():
        return outbox.queue_message(
            to="parent@example.org", subject=subject,
            body_text="Bonjour, le dossier administratif de Léa pour 2026-2027 est validé.",
        )


def test_a_committed_message_is_delivered_by_the_worker(worker):
    message = queue_decision_email("Dossier validé")

    worker.wait_for(lambda: worker.copies_of(message), what="the e-mail")
    worker.wait_for(
        lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.SENT,
        what="the message to be marked sent",
    )
    worker.wait_for(worker.idle, what="the worker to be idle")

    message.refresh_from_db()
    assert message.attempts == 1
    assert message.sent_at is not None
    [email] = worker.copies_of(message)
    assert email["Subject"] == "Dossier validé"
    assert email["To"] == "parent@example.org"
    assert "Léa pour 2026-2027 est validé" in email.get_content()


def test_a_broker_outage_delays_the_message_and_the_beat_job_delivers_it_once(worker):
    with celery_conf(broker_url=UNREACHABLE_BROKER):
        started = time.monotonic()
        message = queue_decision_email("Dossier validé pendant la panne")
        elapsed = time.monotonic() - started
    # The decision is saved and the request answers at once, not after a hang.
    assert elapsed < 5, f"queueing took {elapsed:.1f} s with the broker down"

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 0
    assert tasks.requeue_unsent_messages() == 0  # too young: the first dispatch may still come
    assert worker.idle()
    assert worker.copies_of(message) == []

    # The broker is back; the beat job runs once the message is old enough, twice in a row.
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timezone.timedelta(
            seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS + 1)
    )
    assert tasks.requeue_unsent_messages() == 1
    requeued_again = tasks.requeue_unsent_messages()
    assert requeued_again in (0, 1)  # 1 if the worker had not sent it yet: both are queued
    # And a stray duplicate task, as a redelivery after a crash would produce.
    tasks.send_outbox_message.delay(message.pk)

    worker.wait_for(lambda: worker.copies_of(message), what="the e-mail")
    worker.wait_for(worker.idle, what="every queued task to be processed")

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1
    assert len(worker.copies_of(message)) == 1, "sent once, not twice"
    assert len(worker.sent()) == 1
    assert tasks.requeue_unsent_messages() == 0


def connections_opened() -> int:
    """Connections ever opened to the test database, by anyone (PostgreSQL's own count)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_worker_keeps_its_database_connections_from_one_e_mail_to_the_next(pooled_worker):
    # Celery closes a prefork child's connection pool after each task unless told otherwise:
    # on opening day that was three new PostgreSQL server processes per e-mail.
    first = queue_decision_email("Dossier validé")
    pooled_worker.wait_for(lambda: pooled_worker.copies_of(first), what="the first e-mail")
    pooled_worker.wait_for(pooled_worker.idle, what="the worker to be idle")
    before = connections_opened()

    messages = [queue_decision_email(f"Dossier validé n° {n}") for n in range(8)]
    pooled_worker.wait_for(lambda: all(pooled_worker.copies_of(m) for m in messages),
                           what="the eight e-mails")
    pooled_worker.wait_for(pooled_worker.idle, what="the worker to be idle")

    assert OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], status=OutboxMessage.Status.SENT).count() == 8
    opened = connections_opened() - before
    assert opened <= 1, f"{opened} connections opened for 8 e-mails"


def test_a_reset_link_written_during_a_broker_outage_is_delivered_by_the_worker_and_purged(
        worker):
    user = UserFactory()
    with celery_conf(broker_url=UNREACHABLE_BROKER):
        Client().post("/compte/password/reset/", {"email": user.email})  # commits
    message = OutboxMessage.objects.get(template="account/email/password_reset_key")
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 0)
    assert "/password/reset/key/" not in message.body_text + message.sealed_body

    # Later the beat job hands it to the worker, another process, which unseals and sends it.
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timezone.timedelta(
            seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS + 1))
    assert tasks.requeue_unsent_messages() == 1
    worker.wait_for(lambda: worker.copies_of(message), what="the e-mail")
    worker.wait_for(worker.idle, what="the worker to be idle")

    [email] = worker.copies_of(message)
    assert "/compte/password/reset/key/" in email.get_content()
    message.refresh_from_db()
    assert (message.status, message.sealed_body) == (OutboxMessage.Status.SENT, "")
