"""The one-statement booking of a day never requested, as it runs in production: outside any
transaction of the caller (autocommit), on PostgreSQL. The place, the row and the lock timeout
must stand or fall together."""

from datetime import timedelta

import pytest
from django.db import connection

from reservations.models import Reservation, Slot
from reservations.services import booking, places
from tests.helpers import together
from tests.scenarios.reservations import SlotFactory, book_as, bookable_activity, ready_child

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_places(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement booking runs on PostgreSQL")
    activity = bookable_activity()
    return SlotFactory(activity=activity, capacity=2), activity


def lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


def test_places_then_the_waiting_list_then_full_for_who_does_not_want_to_wait(two_places):
    slot, activity = two_places
    default_timeout = lock_timeout()
    first, second, third, fourth = (ready_child(activity) for _ in range(4))
    assert not connection.in_atomic_block  # the production path, not a savepoint

    assert book_as(first, slot).state == "confirmed"
    assert book_as(second, slot).state == "confirmed"
    assert book_as(third, slot, join_waiting_list=True).state == "waiting"
    assert book_as(fourth, slot).state == "full"

    slot.refresh_from_db()
    assert slot.booked == 2
    rows = {r.child_id: r for r in Reservation.objects.filter(slot=slot)}
    assert rows[first.child.pk].state == "confirmed" and rows[first.child.pk].confirmed_at
    assert rows[third.child.pk].state == "waiting" and rows[third.child.pk].waiting_since
    assert rows[third.child.pk].confirmed_at is None
    assert rows[first.child.pk].updated_by == first.user
    assert fourth.child.pk not in rows
    assert lock_timeout() == default_timeout  # local to each booking's transaction


def test_a_row_written_meanwhile_answers_already_and_takes_no_place(two_places, monkeypatch):
    """The same child booked from another tab between the read of his rows and the write."""
    slot, activity = two_places
    default_timeout = lock_timeout()
    booker = ready_child(activity)
    other_tab = Reservation(child=booker.child, slot=slot, family=booker.family,
                            state="confirmed")
    real = places.take_places_and_insert

    def meanwhile(*args):
        other_tab.save()
        Slot.objects.filter(pk=slot.pk).update(booked=1)
        return real(*args)

    monkeypatch.setattr(places, "take_places_and_insert", meanwhile)
    outcome = book_as(booker, slot)

    assert outcome.state == "already"
    assert Slot.objects.get(pk=slot.pk).booked == 1  # the statement's count was undone
    assert Reservation.objects.filter(slot=slot).count() == 1
    assert lock_timeout() == default_timeout


def test_several_days_in_one_statement_each_day_answers_for_itself(two_places):
    slot, activity = two_places
    full = SlotFactory(activity=activity, capacity=1, date=slot.date + timedelta(days=7))
    roomy = SlotFactory(activity=activity, capacity=5, date=slot.date + timedelta(days=14))
    book_as(ready_child(activity), full)
    booker = ready_child(activity)
    ids = [roomy.pk, full.pk, slot.pk]

    outcomes = booking.book(booker.family, booker.child.pk, ids, booker.user,
                            join_waiting_list=True)

    assert [(o.slot.pk, o.state) for o in outcomes] == sorted(
        [(slot.pk, "confirmed"), (full.pk, "waiting"), (roomy.pk, "confirmed")])
    assert [s.booked for s in Slot.objects.filter(pk__in=ids).order_by("pk")] == [1, 1, 1]

    late = ready_child(activity)
    outcomes = booking.book(late.family, late.child.pk, ids, late.user)
    assert {o.slot.pk: o.state for o in outcomes}[full.pk] == "full"
    assert not Reservation.objects.filter(child=late.child, slot=full).exists()


def test_a_rush_on_several_days_from_many_connections_never_overbooks(two_places):
    """Ten parents at once on the same three days of four places: each day locks its rows in
    the same order, so nobody deadlocks, and every counter matches its rows."""
    slot, activity = two_places
    days = [SlotFactory(activity=activity, capacity=4,
                        date=slot.date + timedelta(days=7 * n)) for n in range(1, 4)]
    bookers = [ready_child(activity) for _ in range(10)]

    def rush(booker):
        booking.book(booker.family, booker.child.pk, [d.pk for d in reversed(days)],
                     booker.user, join_waiting_list=True, notify=False)

    errors = together(rush, bookers)

    assert errors == [None] * len(bookers)
    for day in Slot.objects.filter(pk__in=[d.pk for d in days]):
        states = list(Reservation.objects.filter(slot=day).values_list("state", flat=True))
        assert day.booked == states.count("confirmed") == 4
        assert states.count("waiting") == 6
