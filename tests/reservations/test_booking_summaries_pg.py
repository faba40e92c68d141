"""Issue 23, item 6, under concurrency on PostgreSQL: two flushes of the same household at
once (two beat runs overlapping, two workers) write its summary once, and neither waits for
the other; a parent booking meanwhile is not held either, and her new day waits for the next
summary; a process dying after a booking leaves its lines committed. The order is forced:
the first flush is held right after it locked the lines (while it reads the addresses); the
others run then."""

import datetime
import threading
import time

import pytest
from django.db import connection

from ground.models import OutboxMessage
from reservations.models import SummaryLine
from reservations.services import summaries
from tests.scenarios.reservations import SlotFactory, book_as, bookable_activity, ready_child
from tests.scenarios.summaries import quiet_after

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def held_flush(monkeypatch, household_id, now):
    """Start a flush in a thread, held once it has locked the lines; returns (thread,
    release, its result)."""
    locked, go, result = threading.Event(), threading.Event(), {}
    read = summaries.addresses_of

    def addresses_of(households):
        if threading.current_thread().name == "first":
            locked.set()
            assert go.wait(10)
        return read(households)

    monkeypatch.setattr(summaries, "addresses_of", addresses_of)

    def flush():
        try:
            result["sent"] = summaries.send_summary(household_id, now=now)
        finally:
            connection.close()

    thread = threading.Thread(target=flush, name="first")
    thread.start()
    assert locked.wait(10)
    return thread, go, result


def timed(function, *args, **kwargs):
    started = time.monotonic()
    value = function(*args, **kwargs)
    return value, time.monotonic() - started


@pytest.fixture
def booked():
    """A household that booked one day; the moment its session is over."""
    activity = bookable_activity()
    booker = ready_child(activity)
    first = SlotFactory(activity=activity)
    book_as(booker, first)
    return booker, first, quiet_after(SummaryLine.objects.get().at)


def test_two_flushes_at_once_write_the_summary_once_and_neither_waits(monkeypatch, booked):
    booker, _first, now = booked
    thread, go, result = held_flush(monkeypatch, booker.family.pk, now)
    try:
        # Another worker, while the first holds the lines: it skips them, at once.
        sent, elapsed = timed(summaries.send_summary, booker.family.pk, now=now)
        assert (sent, OutboxMessage.objects.count()) == (0, 0)
        assert elapsed < 1
        assert timed(summaries.send_due, now=now)[0] == 0
    finally:
        go.set()
        thread.join(10)
    assert result["sent"] == 1
    assert OutboxMessage.objects.filter(template="reservations_summary").count() == 1
    assert summaries.send_due(now=now) == 0  # and never again


def test_a_booking_during_a_flush_is_not_held_and_waits_for_the_next_summary(monkeypatch,
                                                                             booked):
    booker, first, now = booked
    second = SlotFactory(activity=first.activity, date=first.date + datetime.timedelta(weeks=1))

    thread, go, result = held_flush(monkeypatch, booker.family.pk, now)
    try:
        outcome, elapsed = timed(book_as, booker, second)
        assert outcome.state == "confirmed"
        assert elapsed < 1
    finally:
        go.set()
        thread.join(10)
    assert result["sent"] == 1
    [message] = OutboxMessage.objects.filter(template="reservations_summary")
    assert message.body_text.count(": réservé") == 1
    assert SummaryLine.objects.get().slot == second


def test_a_process_dying_after_the_booking_loses_no_summary(booked):
    """The booking's process gone (its connection closed without a flush): the lines are
    committed, and beat's job, from another connection, writes the summary."""
    booker, first, now = booked
    connection.close()

    assert [(line.household_id, line.slot_id) for line in SummaryLine.objects.all()] == [
        (booker.family.pk, first.pk)]
    assert summaries.send_due(now=now) == 1
    [message] = OutboxMessage.objects.filter(template="reservations_summary")
    assert booker.user.email in message.to
