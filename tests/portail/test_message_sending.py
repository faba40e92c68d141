"""Sending a message to families (portail/messaging.py): one delivery and one outbox e-mail
per family, written in batches by a task safe to run twice; refused twice, refused to nobody;
a sent message never changes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from familles.models import Letter
from ground.models import OutboxMessage
from portail import messaging
from portail.audiences import preview
from portail.models import Message, MessageDelivery
from portail.tasks import resume_family_messages, write_family_message
from tests.scenarios.enrolments import ActivityFactory, EnrolmentFactory
from tests.scenarios.families import ChildFactory, FamilyFactory, GuardianFactory
from tests.scenarios.messages import (
    MessageFactory,
    enrolled_household,
    outbox_recipients,
    send_now,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def activity():
    return ActivityFactory()


@pytest.fixture
def households(activity):
    """Three households of the activity, the first with two guardians."""
    guardians = [enrolled_household(activity) for _ in range(3)]
    second = GuardianFactory(family=guardians[0].family)
    return [*guardians, second]


def test_send_writes_one_outbox_email_per_family_and_the_task_twice_writes_nothing_more(
        activity, households, django_capture_on_commit_callbacks):
    outsider = enrolled_household(ActivityFactory())
    message = MessageFactory(activity=activity)

    with django_capture_on_commit_callbacks(execute=True):
        assert send_now(message) == 3

    message.refresh_from_db()
    assert message.state == Message.State.SENT and message.written_at is not None
    deliveries = MessageDelivery.objects.filter(message=message)
    assert sorted(deliveries.values_list("family_id", flat=True)) == sorted(
        {g.family_id for g in households})
    assert all(d.written_at for d in deliveries)
    emails = OutboxMessage.objects.filter(template=messaging.TEMPLATE)
    assert emails.count() == 3  # one per family, both guardians on the first
    assert outbox_recipients(message) == sorted(g.user.email for g in households)
    assert outsider.user.email not in outbox_recipients(message)
    first = emails.get(to__contains=[households[0].user.email])
    assert first.subject == message.subject and message.body in first.body_text

    # The task again (a retry, a second worker): nothing written twice.
    assert write_family_message(message.pk) == 0
    assert OutboxMessage.objects.filter(template=messaging.TEMPLATE).count() == 3


def test_batches_add_up_to_every_family_once(activity, households):
    message = MessageFactory(activity=activity)
    send_now(message)  # the task is queued on commit, which this test never reaches
    assert messaging.write_batch(message.pk, size=2) == 2
    message.refresh_from_db()
    assert message.state == Message.State.SENDING  # one family left
    assert messaging.write_batch(message.pk, size=2) == 1
    assert messaging.write_batch(message.pk, size=2) == 0
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert OutboxMessage.objects.filter(template=messaging.TEMPLATE).count() == 3


def test_sending_twice_is_refused_in_french(activity, households):
    message = MessageFactory(activity=activity)
    send_now(message)
    with pytest.raises(ValidationError, match="déjà été envoyé"):
        send_now(message)
    assert MessageDelivery.objects.filter(message=message).count() == 3


def test_an_audience_without_families_sends_nothing(activity):
    message = MessageFactory(activity=activity)
    with pytest.raises(ValidationError, match="Aucune famille"):
        send_now(message)
    message.refresh_from_db()
    assert message.state == Message.State.DRAFT and message.sent_at is None
    assert not MessageDelivery.objects.exists()


def test_a_sent_message_is_never_edited(activity, households):
    message = MessageFactory(activity=activity)
    send_now(message)
    message.subject = "Autre chose"
    with pytest.raises(ValidationError, match="ne peut plus être modifié"):
        messaging.save_draft(message, message.created_by)
    assert Message.objects.get(pk=message.pk).subject != "Autre chose"


def test_beat_resumes_a_message_whose_task_was_lost(activity, households, monkeypatch):
    message = MessageFactory(activity=activity)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(messaging, "queue_task", broker_down)
    send_now(message)
    messaging.queue_writing(message.pk)  # what the commit does: the outage is logged
    monkeypatch.undo()
    assert not OutboxMessage.objects.filter(template=messaging.TEMPLATE).exists()

    # Too early: the task may still be on its way.
    assert resume_family_messages() == 0
    Message.objects.filter(pk=message.pk).update(sent_at=timezone.now() - timedelta(minutes=6))
    assert resume_family_messages() == 1  # queued again, run eagerly here
    assert OutboxMessage.objects.filter(template=messaging.TEMPLATE).count() == 3
    assert Message.objects.get(pk=message.pk).state == Message.State.SENT


def test_households_without_e_mail_get_a_letter_to_print_instead(
        activity, django_capture_on_commit_callbacks):
    online = enrolled_household(activity)
    counter = FamilyFactory(name="Famille Guichet")
    GuardianFactory(family=counter, user=None)
    EnrolmentFactory(activity=activity, child=ChildFactory(family=counter))
    mixed = enrolled_household(activity)  # one guardian online, the other at the counter
    GuardianFactory(family=mixed.family, user=None)
    message = MessageFactory(activity=activity)
    summary = preview(message)
    assert (summary.count, summary.by_email, summary.by_letter) == (3, 2, 2)

    with django_capture_on_commit_callbacks(execute=True):
        send_now(message)

    assert outbox_recipients(message) == sorted([online.user.email, mixed.user.email])
    letters = Letter.objects.filter(template=messaging.TEMPLATE)
    assert sorted(letters.values_list("family_id", flat=True)) == sorted(
        [counter.pk, mixed.family_id])
    letter = letters.get(family=counter)
    assert letter.subject == message.subject and message.body in letter.body_text
    record = {d.family_id: (d.emails, d.letter) for d in message.deliveries.all()}
    assert record == {online.family_id: (1, False), counter.pk: (0, True),
                      mixed.family_id: (1, True)}
    # The task again: no second letter either.
    write_family_message(message.pk)
    assert letters.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_write_each_family_once(activity, monkeypatch):
    """Two tasks for one message, in two threads with their own connections: they skip each
    other's locked deliveries, and every family gets exactly one e-mail."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    guardians = [enrolled_household(activity) for _ in range(12)]
    message = MessageFactory(activity=activity)
    monkeypatch.setattr(messaging, "queue_task", lambda *args, **kwargs: None)
    send_now(message)  # its task not run: the test runs two workers itself

    def worker():
        try:
            return sum(iter(lambda: messaging.write_batch(message.pk, size=2), 0))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        written = [future.result() for future in [pool.submit(worker) for _ in range(2)]]

    assert sum(written) == 12
    assert outbox_recipients(message) == sorted(g.user.email for g in guardians)
    assert Message.objects.get(pk=message.pk).state == Message.State.SENT
