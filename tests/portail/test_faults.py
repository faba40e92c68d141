"""Issue 7, hardening: a fault test for each outside component. The parent always gets a
clear answer, quickly, and nothing is lost.

- Redis (the broker) down: a booking answers its normal page at once; the reservation and
  its e-mail (an unsent OutboxMessage) are saved, and the beat job's requeue sends it later.
  (tests/portail/test_celery_worker.py shows the same with a real worker, below HTTP.)
- Worker down (Redis up, nobody consuming): the task waits in the queue, the message stays
  pending, and the requeue puts it back in the queue until a worker sends it, once.
- Stripe unreachable, through the real HTTP layer (no fake server: the network itself is
  refused): a French message, no Payment. tests/facturation/test_payments.py covers the same
  with the fake Stripe server, and Stripe refusing the request.
- PostgreSQL lock contention: a slot row held locked longer than
  PORTAIL_BOOKING_LOCK_TIMEOUT_MS gives 503 « Trop de demandes … réessayez » within the
  timeout, nothing written; once the lock is gone the same request books.

These tests commit (transactional): the e-mail is handed to Celery by `on_commit`, as in
production."""

import threading
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from facturation.models import Payment, StripeEvent
from ground import tasks
from ground.models import OutboxMessage
from reservations.models import Reservation, Slot, SummaryLine
from tests.helpers import flash_messages, free_port, page_text
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.reservations import SlotFactory, bookable_activity, ready_child
from tests.scenarios.stripe_fake import SECRET_KEY, WEBHOOK_SECRET
from tests.scenarios.summaries import send_summaries
from tests.worker_fixture import UNREACHABLE_BROKER, celery_conf

QUICK = 5.0  # seconds: "a few seconds" for a parent's answer during an outage


@pytest.fixture
def booking(transactional_db, client):
    """A guardian logged in, a child ready to book a Wednesday with places left."""
    activity = bookable_activity()
    booker = ready_child(activity)
    slot = SlotFactory(activity=activity, capacity=10)
    client.force_login(booker.user)
    return booker, slot, client


def book_over_http(client, booker, slot, **headers):
    started = time.monotonic()
    response = client.post(reverse("reservations:book"),
                           {"child": booker.child.pk, "slot": slot.pk}, follow=True, **headers)
    return response, time.monotonic() - started


def age(message):
    """Old enough for the beat job (younger ones may still be on their way)."""
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timezone.
                                                       timedelta(seconds=settings.
                                                                 OUTBOX_REQUEUE_AFTER_SECONDS + 1))


def assert_booked_with_a_pending_email(response, booker, slot):
    assert response.status_code == 200
    assert any("réservé" in text for text in flash_messages(response)), flash_messages(response)
    reservation = Reservation.objects.get(child=booker.child, slot=slot)
    assert reservation.state == Reservation.State.CONFIRMED
    assert Slot.objects.get(pk=slot.pk).booked == 1
    # The summary's lines are in the database; beat's summary job (run here) writes the
    # message once the household is quiet, and the outbox takes it from there.
    assert SummaryLine.objects.filter(household=booker.family).exists()
    assert send_summaries() == 1
    message = OutboxMessage.objects.get(template="reservations_summary")
    assert message.status == OutboxMessage.Status.PENDING
    assert message.sent_at is None
    assert booker.user.email in message.to
    return message


# --- Redis down ----------------------------------------------------------------------------

def test_broker_down_the_booking_answers_at_once_and_the_email_waits_in_the_outbox(booking):
    booker, slot, client = booking
    with celery_conf(task_always_eager=False, broker_url=UNREACHABLE_BROKER):
        response, elapsed = book_over_http(client, booker, slot)
        assert elapsed < QUICK, f"the booking took {elapsed:.1f} s with the broker down"
        message = assert_booked_with_a_pending_email(response, booker, slot)
        assert message.attempts == 0

        # Still down when beat runs: the requeue fails quietly too, nothing is lost.
        age(message)
        assert tasks.requeue_unsent_messages() == 1
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.PENDING

    # The broker is back (eager here, as the test settings run tasks): beat sends it, once.
    assert tasks.requeue_unsent_messages() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert [m.subject for m in mail.outbox] == [message.subject]
    assert tasks.requeue_unsent_messages() == 0


# --- worker down ---------------------------------------------------------------------------

@pytest.mark.redis
def test_worker_down_the_message_stays_pending_and_the_requeue_picks_it(booking):
    booker, slot, client = booking
    queue = f"portail-test-faults-{uuid.uuid4().hex[:8]}"
    broker = redis.Redis.from_url(settings.REDIS_URL)
    try:
        with celery_conf(task_always_eager=False, broker_url=settings.REDIS_URL,
                         task_default_queue=queue):
            response, elapsed = book_over_http(client, booker, slot)
            assert elapsed < QUICK
            message = assert_booked_with_a_pending_email(response, booker, slot)
            assert broker.llen(queue) == 1  # handed to Celery, nobody to take it

            assert tasks.requeue_unsent_messages() == 0  # too young: it may still come
            age(message)
            assert tasks.requeue_unsent_messages() == 1
            assert broker.llen(queue) == 2
            message.refresh_from_db()
            assert message.status == OutboxMessage.Status.PENDING

        # A worker comes back and runs both queued tasks: one e-mail, not two.
        for _task in range(broker.llen(queue)):
            tasks.send_outbox_message(message.pk)
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.SENT
        assert message.attempts == 1
        assert len(mail.outbox) == 1
    finally:
        broker.delete(queue, *broker.keys(f"_kombu.binding*.{queue}"))
        broker.close()


# --- Stripe unreachable --------------------------------------------------------------------

@pytest.fixture
def closed_port():
    """A local port where nothing listens (bound, then released)."""
    return free_port()


def test_stripe_unreachable_on_the_network_gives_a_french_message_and_no_payment(
        transactional_db, client, guardian, settings, monkeypatch, closed_port, caplog):
    """No fake here: stripe-python's real RequestsClient (our timeouts, our retry) goes out
    through a proxy that refuses every connection, as a firewall or a DNS failure would."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{closed_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=4250)
    client.force_login(guardian.user)

    started = time.monotonic()
    response = client.post(reverse("facturation:pay", args=[invoice.pk]), follow=True)
    elapsed = time.monotonic() - started

    assert elapsed < QUICK, f"the parent waited {elapsed:.1f} s"
    assert response.redirect_chain == [(reverse("facturation:payment", args=[invoice.pk]), 303)]
    text = page_text(response)
    assert "Le paiement en ligne est momentanément indisponible" in text
    assert "chèque, espèces, CESU ou virement" in text
    assert "Connection" not in text and "proxy" not in text.lower()
    assert "ProxyError" in caplog.text  # it did go out, and the network refused it
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()
    assert not OutboxMessage.objects.exists()


# --- PostgreSQL lock contention ------------------------------------------------------------

class SlotLock:
    """Holds `SELECT … FOR UPDATE` on a slot row from another connection (another thread)."""

    def __init__(self, slot_id):
        self.slot_id = slot_id
        self.locked = threading.Event()
        self.release = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            with transaction.atomic():
                list(Slot.objects.select_for_update().filter(pk=self.slot_id))
                self.locked.set()
                self.release.wait(timeout=30)
        except Exception as exc:  # reported by the test
            self.error = exc
            self.locked.set()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10) and self.error is None, self.error
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=10)


@pytest.mark.postgres
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_slot_locked_too_long_answers_503_try_again_quickly(booking, settings, htmx):
    booker, slot, client = booking
    settings.PORTAIL_BOOKING_LOCK_TIMEOUT_MS = 300
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    data = {"child": booker.child.pk, "slot": slot.pk}

    with SlotLock(slot.pk):
        started = time.monotonic()
        response = client.post(reverse("reservations:book"), data, **headers)
        elapsed = time.monotonic() - started

        assert response.status_code == 503
        assert elapsed < 0.3 + 2, f"answered after {elapsed:.1f} s"
        text = page_text(response)
        assert "Trop de demandes en même temps sur ce jour : réessayez dans un instant." in text
        assert "Réessayer" in text or "réessayer" in text
        assert not Reservation.objects.exists()
        assert Slot.objects.get(pk=slot.pk).booked == 0
        assert not OutboxMessage.objects.exists()

    # The lock is gone: the same request (the « Réessayer » button resends it) books.
    response = client.post(reverse("reservations:book"), data, **headers)
    assert response.status_code in (200, 303)
    assert Reservation.objects.get(child=booker.child, slot=slot).state == "confirmed"
    assert Slot.objects.get(pk=slot.pk).booked == 1
