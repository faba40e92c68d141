"""Issue 23, item 3, under concurrency on PostgreSQL: two requests booking overlapping units
for the same child at the same instant cannot both succeed. The order is forced: the first
booking is held right after its overlap check (before writing); the second starts then. It
must wait for the child's row lock, see the first booking once committed, and be refused.
The control runs the same race with the lock taken away, from this test: both pass, so the
first test proves the lock does the work."""

import threading

import pytest
from django.db import connection

from reservations import queries
from reservations.models import Reservation
from reservations.services import booking
from tests.scenarios.overlap import overlapping_wednesday

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(monkeypatch, w):
    """The « Journée » (held after its check) against the « Matin »: their outcomes."""
    checked, go = threading.Event(), threading.Event()
    read = queries.held_on
    first = {}

    def held_on(child_id, dates):
        found = read(child_id, dates)
        if threading.current_thread().name == "journee":
            checked.set()
            assert go.wait(10)
        return found

    monkeypatch.setattr(queries, "held_on", held_on)
    results = {}
    b = w.booker

    def book(name, slot):
        try:
            (results[name],) = booking.book(b.family, b.child.pk, [slot.pk], b.user,
                                            notify=False)
        finally:
            connection.close()

    journee = threading.Thread(target=book, name="journee",
                               args=("journee", w.slot("ALSH", "Journée")))
    morning = threading.Thread(target=book, name="matin", args=("matin", w.slot("ALSH", "Matin")))
    journee.start()
    assert checked.wait(10)
    morning.start()
    morning.join(0.5)  # with the lock, the morning waits for the day's transaction
    first["morning_waited"] = morning.is_alive()
    go.set()
    journee.join(10)
    morning.join(10)
    return results, first


def test_two_overlapping_bookings_at_once_one_only_is_booked(monkeypatch):
    w = overlapping_wednesday()
    results, first = race(monkeypatch, w)
    assert first["morning_waited"]
    assert results["journee"].state == "confirmed"
    assert results["matin"].state == "refused"
    assert "en Journée (ALSH" in results["matin"].message
    assert Reservation.objects.filter(child=w.child).count() == 1


def test_control_without_the_childs_lock_both_would_pass(monkeypatch):
    w = overlapping_wednesday()
    monkeypatch.setattr(queries, "lock_child", lambda child_id: None)
    results, first = race(monkeypatch, w)
    assert not first["morning_waited"]
    assert results["journee"].state == results["matin"].state == "confirmed"
