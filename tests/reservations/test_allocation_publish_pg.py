"""An allocation run from the wishes to the reservations, on PostgreSQL: draft, rerun,
publication through the slots' counters and waiting tickets, e-mails, first come after, a
declined day promoting the waiting list."""

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ground.models import OutboxMessage
from reservations.models import (
    Allocation,
    AllocationEntry,
    BookingPeriod,
    Reservation,
    Slot,
)
from reservations.services import decline, publish_allocation, run_allocation, set_capacity
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.allocation import allocation_activity, household, wish
from tests.scenarios.reservations import book_as

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def town():
    """Three Wednesdays of two places. A resident household with two children, a resident
    child, a child from elsewhere: all wish every day."""
    allocated = allocation_activity(days=3, capacity=2)
    siblings = household(allocated.activity, children=2)
    resident = household(allocated.activity)
    outsider = household(allocated.activity, postal_code="29000")
    for booker in [*siblings, *resident, *outsider]:
        wish(booker, allocated.slots, allocated.during)
    allocated.bookers = {"siblings": siblings, "resident": resident[0],
                         "outsider": outsider[0]}
    return allocated


@pytest.fixture
def staff():
    return StaffFactory()


def _entries(allocation):
    return list(AllocationEntry.objects.filter(allocation=allocation))


def test_the_run_waits_for_the_window_to_close(town, staff):
    with pytest.raises(ValidationError, match="l'attribution se lance après"):
        run_allocation(town.period.pk, staff, now=town.during)
    assert not Allocation.objects.exists()


def test_a_draft_gives_each_child_a_class_and_a_draw_number_and_respects_the_rules(town, staff):
    allocation = run_allocation(town.period.pk, staff, now=town.after)
    entries = _entries(allocation)
    assert len(entries) == 4 * 3
    classes = {e.child_id: e.priority_class for e in entries}
    outsider = town.bookers["outsider"].child.pk
    assert classes[outsider] > classes[town.bookers["resident"].child.pk]
    granted = Counter(e.slot_id for e in entries if e.outcome == "granted")
    assert all(granted[s.pk] <= s.capacity for s in town.slots)
    a, b = (booker.child.pk for booker in town.bookers["siblings"])
    per_day = {e.slot_id: set() for e in entries}
    for e in entries:
        if e.child_id in (a, b):
            per_day[e.slot_id].add(e.outcome)
    assert all(len(outcomes) == 1 for outcomes in per_day.values())  # together or not
    # Nothing is booked by a draft, and the seed is not revealed
    assert not Reservation.objects.exists()
    assert allocation.seed == "" and allocation.state == Allocation.State.DRAFT


def test_a_rerun_replaces_the_draft_and_gives_the_same_result_on_the_same_data(town, staff):
    first = run_allocation(town.period.pk, staff, now=town.after)
    second = run_allocation(town.period.pk, staff, now=town.after)
    first.refresh_from_db()
    assert first.state == Allocation.State.SUPERSEDED
    assert second.result_digest == first.result_digest
    with pytest.raises(ValidationError, match="dernier brouillon"):
        publish_allocation(first.pk, staff, now=town.after)


def test_publication_books_the_granted_and_queues_the_others_in_the_runs_order(town, staff):
    allocation = run_allocation(town.period.pk, staff, now=town.after)
    publish_allocation(allocation.pk, staff, now=town.after)
    allocation.refresh_from_db()
    town.period.refresh_from_db()
    assert allocation.state == Allocation.State.PUBLISHED
    assert allocation.seed == town.period.draw_secret
    assert town.period.allocation_published_at is not None
    entries = _entries(allocation)
    for slot in Slot.objects.filter(pk__in=[s.pk for s in town.slots]):
        confirmed = Reservation.objects.filter(slot=slot, state="confirmed")
        assert slot.booked == confirmed.count() <= slot.capacity
        assert {r.child_id for r in confirmed} == {
            e.child_id for e in entries if e.slot_id == slot.pk and e.outcome == "granted"}
        waiting = list(Reservation.objects.filter(slot=slot, state="waiting")
                       .order_by("waiting_ticket"))
        expected = [e.child_id for e in sorted(
            (e for e in entries if e.slot_id == slot.pk and e.outcome == "waiting"),
            key=lambda e: e.waiting_order)]
        assert [r.child_id for r in waiting] == expected
        assert slot.waiting_tickets == len(expected)
        assert all(r.source == Reservation.Source.ALLOCATION for r in
                   Reservation.objects.filter(slot=slot))
    # One message per household, saying what was granted and what waits, with the seed
    messages = OutboxMessage.objects.filter(template="allocation_published")
    assert messages.count() == 3
    for message in messages:
        assert allocation.seed in message.body_text
        assert town.period.draw_commitment in message.body_text
    with pytest.raises(ValidationError, match="déjà publiée"):
        run_allocation(town.period.pk, staff, now=town.after)


def test_after_publication_the_places_left_open_first_come_first_served(staff):
    allocated = allocation_activity(days=1, capacity=3)
    [wisher] = household(allocated.activity)
    wish(wisher, allocated.slots, allocated.during)
    [latecomer] = household(allocated.activity)
    publish_allocation(run_allocation(allocated.period.pk, staff, now=allocated.after).pk,
                       staff, now=allocated.after)
    assert book_as(latecomer, allocated.slots[0], now=allocated.after).state == "refused"
    assert book_as(latecomer, allocated.slots[0], now=allocated.opening).state == "confirmed"


def test_publication_refuses_a_draft_whose_places_changed_and_writes_nothing(town, staff):
    allocation = run_allocation(town.period.pk, staff, now=town.after)
    set_capacity(town.slots[0].pk, 1, staff)
    with pytest.raises(ValidationError, match="relancez l'attribution"):
        publish_allocation(allocation.pk, staff, now=town.after)
    assert not Reservation.objects.exists()
    assert not OutboxMessage.objects.filter(template="allocation_published").exists()
    assert BookingPeriod.objects.get(pk=town.period.pk).allocation_published_at is None


def test_declining_a_granted_day_gives_it_to_the_first_waiting(town, staff):
    allocation = run_allocation(town.period.pk, staff, now=town.after)
    publish_allocation(allocation.pk, staff, now=town.after)
    entries = _entries(allocation)
    children = {b.child.pk: b for b in [*town.bookers["siblings"], town.bookers["resident"],
                                        town.bookers["outsider"]]}
    slot_id = next(e.slot_id for e in entries if e.outcome == "waiting" and any(
        g.slot_id == e.slot_id and g.outcome == "granted" for g in entries))
    first_waiting = min((e for e in entries if e.slot_id == slot_id and e.outcome == "waiting"),
                        key=lambda e: e.waiting_order)
    giver = next(e for e in entries if e.slot_id == slot_id and e.outcome == "granted"
                 and children[e.child_id].family != children[first_waiting.child_id].family)
    booker = children[giver.child_id]
    decline(booker.family, booker.child.pk, slot_id, booker.user,
            now=town.after + datetime.timedelta(hours=1))
    assert Reservation.objects.get(child=booker.child, slot_id=slot_id).state == "cancelled"
    promoted = Reservation.objects.get(child_id=first_waiting.child_id, slot_id=slot_id)
    assert promoted.state == "confirmed"
    giver.refresh_from_db()
    assert giver.declined_at is not None
    # Once is enough; and past the decline time, it is refused
    with pytest.raises(ValidationError, match="déjà renoncé"):
        decline(booker.family, booker.child.pk, slot_id, booker.user, now=town.after)
    other = next(e for e in entries if e.outcome == "granted" and e.slot_id != slot_id)
    late = town.after + datetime.timedelta(days=town.period.decline_days, hours=1)
    holder = children[other.child_id]
    with pytest.raises(ValidationError, match="possible de renoncer jusqu'au"):
        decline(holder.family, holder.child.pk, other.slot_id, holder.user, now=late)


def test_a_family_cannot_decline_another_familys_day(town, staff):
    allocation = run_allocation(town.period.pk, staff, now=town.after)
    publish_allocation(allocation.pk, staff, now=town.after)
    granted = next(e for e in _entries(allocation) if e.outcome == "granted"
                   and e.child_id != town.bookers["outsider"].child.pk)
    outsider = town.bookers["outsider"]
    with pytest.raises(ValidationError, match="n'appartient pas à votre famille"):
        decline(outsider.family, granted.child_id, granted.slot_id, outsider.user,
                now=town.after)
    assert Reservation.objects.get(child_id=granted.child_id,
                                   slot_id=granted.slot_id).state == "confirmed"


def test_the_command_reproduces_the_published_result_byte_for_byte(town, staff, capsys):
    allocation = run_allocation(town.period.pk, staff, now=town.after)
    publish_allocation(allocation.pk, staff, now=town.after)
    allocation.refresh_from_db()
    call_command("reproduce_allocation", str(town.period.pk))
    out = capsys.readouterr().out
    assert allocation.result_digest in out
    assert "identique" in out


def _statements(allocated, households, staff):
    """(statements of the run, statements of its publication) for this many households of
    one child each, all wishing every day, all resident (one class)."""
    for _ in range(households):
        wish(household(allocated.activity)[0], allocated.slots, allocated.during)
    with CaptureQueriesContext(connection) as run:
        allocation = run_allocation(allocated.period.pk, staff, now=allocated.after)
    with CaptureQueriesContext(connection) as publication:
        publish_allocation(allocation.pk, staff, now=allocated.after)
    assert OutboxMessage.objects.filter(template="allocation_published").count() >= households
    return len(run), len(publication)


def test_run_and_publication_statements_do_not_grow_with_the_households(staff):
    # Set-based writes (docs/performance.md, "Issue 28"): the entries, the reservations and
    # the letters go by batches, the slots' counters by one update per slot.
    few = _statements(allocation_activity(days=3, capacity=2), 3, staff)
    OutboxMessage.objects.all().delete()
    many = _statements(allocation_activity(days=3, capacity=2), 12, staff)
    assert many == few
