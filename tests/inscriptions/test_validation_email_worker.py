"""Issue 3's promise, with a real Celery worker on Redis: validating a file in the admin
delivers its e-mail; with the broker down at that moment, the validation is saved, the page
answers at once, and the e-mail goes out once the broker is back — once, not twice."""

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from ground import tasks
from ground.models import OutboxMessage
from inscriptions.models import AnnualFile
from tests.scenarios.enrolments import AnnualFileFactory
from tests.scenarios.families import GuardianFactory
from tests.worker_fixture import UNREACHABLE_BROKER, celery_conf

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def submitted_file():
    guardian = GuardianFactory(first_name="Claire")
    return AnnualFileFactory(child__family=guardian.family, child__first_name="Léa",
                             submitted=True)


def validate_in_admin(staff_client, annual_file):
    url = reverse("admin:inscriptions_annualfile_validate", args=[annual_file.pk])
    return staff_client.post(url)


def decision_message(annual_file):
    return OutboxMessage.objects.get(template="annual_file_validated")


def test_validating_in_the_admin_delivers_the_decision(worker, staff_client, submitted_file):
    response = validate_in_admin(staff_client, submitted_file)
    assert response.status_code == 302

    message = decision_message(submitted_file)
    worker.wait_for(lambda: worker.copies_of(message), what="the decision e-mail")
    [email] = worker.copies_of(message)
    guardian = submitted_file.child.family.guardians.get()
    assert email["To"] == guardian.user.email
    assert "Léa" in email["Subject"] and submitted_file.school_year.label in email["Subject"]
    assert "validé" in email.get_content()
    worker.wait_for(lambda: decision_message(submitted_file).status == OutboxMessage.Status.SENT,
                    what="the message to be marked sent")


def test_broker_down_at_validation_time_loses_nothing(worker, staff_client, submitted_file):
    with celery_conf(broker_url=UNREACHABLE_BROKER):
        started = time.monotonic()
        response = validate_in_admin(staff_client, submitted_file)
        elapsed = time.monotonic() - started
    assert response.status_code == 302  # the staff member's page answers normally
    assert elapsed < 5
    submitted_file.refresh_from_db()
    assert submitted_file.state == AnnualFile.State.VALIDATED
    message = decision_message(submitted_file)
    assert message.status == OutboxMessage.Status.PENDING
    assert worker.copies_of(message) == []

    # The broker is back; the beat job finds the message once it is old enough — and running
    # twice (two beat ticks, or a retry racing a late first dispatch) sends it once.
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timezone.timedelta(minutes=10))
    assert tasks.requeue_unsent_messages() == 1
    tasks.requeue_unsent_messages()
    worker.wait_for(lambda: worker.copies_of(message), what="the delayed e-mail")
    worker.wait_for(worker.idle, what="the worker to be idle")
    assert len(worker.copies_of(message)) == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
