"""The waiting list: a full day can be requested if the parent accepts to wait; the first
one waiting gets the place as soon as it frees (cancellation, more places), in the same
transaction, and only that family is e-mailed. After the day's deadline nobody is promoted."""

import datetime
import zoneinfo

import pytest
import time_machine

from ground.models import OutboxMessage
from reservations import queries
from reservations.calendar import waiting_rank
from reservations.deadlines import deadline_for
from reservations.models import Reservation, Slot, WaitingListExit
from reservations.services import cancel, close_slot, release, reopen_slot, set_capacity
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.reservations import (
    ReservationFactory,
    SlotFactory,
    book_as,
    bookable_activity,
    ready_child,
)
from tests.scenarios.summaries import send_summaries

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(db):
    return bookable_activity()


@pytest.fixture
def full_slot(activity):
    """A one-place Wednesday with its place taken."""
    slot = SlotFactory(activity=activity, capacity=1)
    holder = ready_child(activity)
    with time_machine.travel(morning(slot, days_before=30), tick=False):
        assert book_as(holder, slot).state == "confirmed"
    slot.holder = holder
    return slot


def morning(slot, days_before: int, minute: int = 0) -> datetime.datetime:
    day = slot.date - datetime.timedelta(days=days_before)
    return datetime.datetime.combine(day, datetime.time(8, minute), tzinfo=PARIS)


def states(slot) -> dict:
    return dict(Reservation.objects.filter(slot=slot).values_list("child", "state"))


def ranks(slot) -> dict[int, int]:
    """{child id: the rank his calendar says}, after checking that each of the slot's tickets
    is held by a waiting request or recorded as gone, never both."""
    waiting = Reservation.objects.filter(slot=slot, state=Reservation.State.WAITING)
    said = {}
    for reservation in waiting:
        row = next(row for row in queries.slot_rows_on(
            reservation.child_id, [(slot.activity_id, slot.site_id)],
            [(slot.activity_id, slot.date)]) if row.slot.pk == slot.pk)
        said[reservation.child_id] = waiting_rank(row.reservation)
    exits = set(WaitingListExit.objects.filter(slot=slot).values_list("ticket", flat=True))
    held = {r.waiting_ticket for r in waiting}
    slot.refresh_from_db()
    assert held | exits == set(range(1, slot.waiting_tickets + 1))
    assert not held & exits
    return said


def promoted_mail() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="reservation_promoted").order_by("pk"))


def wait_for(activity, slot, count: int, days_before: int = 20) -> list:
    """`count` families join the waiting list, one minute apart."""
    waiting = []
    for n in range(count):
        booker = ready_child(activity)
        with time_machine.travel(morning(slot, days_before, minute=n), tick=False):
            outcome = book_as(booker, slot, join_waiting_list=True)
        assert outcome.state == "waiting"
        waiting.append(booker)
    return waiting


def test_full_day_without_accepting_to_wait_writes_nothing(activity, full_slot):
    booker = ready_child(activity)
    send_summaries()  # the holder's
    mail_before = OutboxMessage.objects.count()

    with time_machine.travel(morning(full_slot, 20), tick=False):
        outcome = book_as(booker, full_slot, join_waiting_list=False)

    assert outcome.state == "full"
    assert outcome.message == "Complet."
    assert not Reservation.objects.filter(child=booker.child).exists()
    full_slot.refresh_from_db()
    assert full_slot.booked == 1
    assert send_summaries() == 0
    assert OutboxMessage.objects.count() == mail_before


def test_joining_the_waiting_list_takes_no_place_and_keeps_arrival_time(activity, full_slot):
    first, second = wait_for(activity, full_slot, 2)

    full_slot.refresh_from_db()
    assert full_slot.booked == 1
    waiting = list(Reservation.objects.filter(slot=full_slot, state=Reservation.State.WAITING)
                   .order_by("waiting_ticket"))
    assert [r.child for r in waiting] == [first.child, second.child]
    assert [r.waiting_ticket for r in waiting] == [1, 2]
    assert [r.waiting_since for r in waiting] == [morning(full_slot, 20, 0),
                                                   morning(full_slot, 20, 1)]
    assert all(r.confirmed_at is None for r in waiting)
    assert send_summaries() == 3  # one family each: the holder, the two waiting
    summary = OutboxMessage.objects.filter(template="reservations_summary",
                                           to=[first.user.email]).get()
    assert "en liste d'attente" in summary.body_text


def test_cancellations_promote_in_order_of_arrival(activity, full_slot):
    first, second, third = wait_for(activity, full_slot, 3)
    holder = full_slot.holder

    with time_machine.travel(morning(full_slot, 10), tick=False):
        [outcome] = cancel(holder.family, holder.child.pk, [full_slot.pk], holder.user)
    assert outcome.state == "cancelled"
    assert states(full_slot) == {holder.child.pk: "cancelled", first.child.pk: "confirmed",
                                 second.child.pk: "waiting", third.child.pk: "waiting"}
    promoted = Reservation.objects.get(child=first.child)
    assert promoted.confirmed_at == morning(full_slot, 10)

    with time_machine.travel(morning(full_slot, 9), tick=False):
        cancel(first.family, first.child.pk, [full_slot.pk], first.user)
    assert states(full_slot)[second.child.pk] == "confirmed"
    assert states(full_slot)[third.child.pk] == "waiting"
    full_slot.refresh_from_db()
    assert full_slot.booked == 1

    assert [m.to for m in promoted_mail()] == [[first.user.email], [second.user.email]]
    message = promoted_mail()[0]
    assert first.child.first_name in message.subject
    assert "Une place s'est libérée" in message.body_text


def test_a_waiting_request_that_is_withdrawn_frees_nothing(activity, full_slot):
    first, second = wait_for(activity, full_slot, 2)

    with time_machine.travel(morning(full_slot, 10), tick=False):
        [outcome] = cancel(first.family, first.child.pk, [full_slot.pk], first.user)

    assert outcome.state == "cancelled"
    assert states(full_slot) == {full_slot.holder.child.pk: "confirmed",
                                 first.child.pk: "cancelled", second.child.pk: "waiting"}
    full_slot.refresh_from_db()
    assert full_slot.booked == 1
    assert promoted_mail() == []


def test_order_is_the_waiting_ticket_not_the_time_or_the_id(activity, full_slot):
    """The ticket handed out under the slot's lock decides: neither the clock of the request
    (taken before the lock) nor the row's id."""
    base = morning(full_slot, 20)
    children = {}
    for name, ticket, minutes in [("third", 3, 0), ("first", 1, 9), ("fourth", 4, 1),
                                  ("second", 2, 5)]:
        booker = ready_child(activity)
        reservation = ReservationFactory(
            slot=full_slot, child=booker.child, state=Reservation.State.WAITING,
            confirmed_at=None, waiting_ticket=ticket,
            waiting_since=base + datetime.timedelta(minutes=minutes))
        children[reservation.child_id] = name
    Slot.objects.filter(pk=full_slot.pk).update(waiting_tickets=4)
    staff = StaffFactory()

    order, seen = [], {full_slot.holder.child.pk}
    with time_machine.travel(morning(full_slot, 10), tick=False):
        for capacity in range(2, 6):  # one more place at a time
            set_capacity(full_slot.pk, capacity, staff)
            confirmed = {child for child, state in states(full_slot).items()
                         if state == "confirmed"}
            [newly] = confirmed - seen
            seen.add(newly)
            order.append(children[newly])

    assert order == ["first", "second", "third", "fourth"]


def test_raising_capacity_promotes_several_at_once(activity, full_slot):
    waiting = wait_for(activity, full_slot, 4)
    staff = StaffFactory()

    with time_machine.travel(morning(full_slot, 10), tick=False):
        slot = set_capacity(full_slot.pk, 4, staff)

    assert slot.booked == 4
    full_slot.refresh_from_db()
    assert (full_slot.capacity, full_slot.booked) == (4, 4)
    assert [states(full_slot)[b.child.pk] for b in waiting] == [
        "confirmed", "confirmed", "confirmed", "waiting"]
    assert sorted(m.to[0] for m in promoted_mail()) == sorted(
        b.user.email for b in waiting[:3])
    assert all(len(m.to) == 1 for m in promoted_mail())


def test_promotion_tells_both_households_of_a_child_in_shared_custody(activity, full_slot):
    [waiting] = wait_for(activity, full_slot, 1)
    other_parent = ready_child(activity).guardian  # another household
    waiting.child.second_family = other_parent.family
    waiting.child.save()

    with time_machine.travel(morning(full_slot, 10), tick=False):
        set_capacity(full_slot.pk, 2, StaffFactory())

    # each household in its own message: neither sees the other's addresses
    assert sorted(m.to for m in promoted_mail()) == sorted([[waiting.user.email],
                                                            [other_parent.user.email]])


def test_nobody_is_promoted_after_the_days_deadline(activity, full_slot):
    [waiting] = wait_for(activity, full_slot, 1)
    deadline = deadline_for(activity.deadline_rule, full_slot.date)
    holder_reservation = Reservation.objects.get(child=full_slot.holder.child)
    staff = StaffFactory()

    with time_machine.travel(deadline, tick=False):
        release(holder_reservation.pk, staff, late=True)
        set_capacity(full_slot.pk, 3, staff)

    assert states(full_slot)[waiting.child.pk] == "waiting"
    full_slot.refresh_from_db()
    assert full_slot.booked == 0
    assert promoted_mail() == []


def test_one_second_before_the_deadline_the_place_still_goes_to_the_list(activity, full_slot):
    [waiting] = wait_for(activity, full_slot, 1)
    deadline = deadline_for(activity.deadline_rule, full_slot.date)
    holder = full_slot.holder

    with time_machine.travel(deadline - datetime.timedelta(seconds=1), tick=False):
        [outcome] = cancel(holder.family, holder.child.pk, [full_slot.pk], holder.user)

    assert outcome.state == "cancelled"
    assert states(full_slot)[waiting.child.pk] == "confirmed"
    assert [m.to for m in promoted_mail()] == [[waiting.user.email]]


def test_a_freed_place_with_nobody_waiting_goes_to_the_next_booker(activity, full_slot):
    holder = full_slot.holder
    newcomer = ready_child(activity)
    with time_machine.travel(morning(full_slot, 10), tick=False):
        cancel(holder.family, holder.child.pk, [full_slot.pk], holder.user)
        assert book_as(newcomer, full_slot).state == "confirmed"
    full_slot.refresh_from_db()
    assert full_slot.booked == 1


def test_a_waiting_request_can_be_withdrawn_after_the_deadline_but_a_place_cannot(
        activity, full_slot):
    [waiting] = wait_for(activity, full_slot, 1)
    holder = full_slot.holder
    deadline = deadline_for(activity.deadline_rule, full_slot.date)

    with time_machine.travel(deadline + datetime.timedelta(hours=1), tick=False):
        [withdrawn] = cancel(waiting.family, waiting.child.pk, [full_slot.pk], waiting.user)
        [kept] = cancel(holder.family, holder.child.pk, [full_slot.pk], holder.user)

    assert withdrawn.state == "cancelled"
    assert kept.state == "refused"
    assert "justifier l'absence" in kept.message
    assert states(full_slot) == {holder.child.pk: "confirmed", waiting.child.pk: "cancelled"}


def test_a_request_withdrawn_and_made_again_goes_to_the_back_and_every_rank_stays_exact(
        activity, full_slot):
    """Each ticket is held by a waiting request or recorded as gone: so each rank (its ticket
    less the tickets ahead that left) is its place among those still waiting, whatever
    joined, left, came back or was given a place."""
    first, second, third, fourth = wait_for(activity, full_slot, 4)


    assert ranks(full_slot) == {first.child.pk: 1, second.child.pk: 2, third.child.pk: 3,
                       fourth.child.pk: 4}
    with time_machine.travel(morning(full_slot, 15), tick=False):
        cancel(second.family, second.child.pk, [full_slot.pk], second.user)
    assert ranks(full_slot) == {first.child.pk: 1, third.child.pk: 2, fourth.child.pk: 3}
    with time_machine.travel(morning(full_slot, 14), tick=False):
        assert book_as(second, full_slot, join_waiting_list=True).state == "waiting"
    assert ranks(full_slot) == {first.child.pk: 1, third.child.pk: 2, fourth.child.pk: 3,
                       second.child.pk: 4}
    with time_machine.travel(morning(full_slot, 13), tick=False):
        cancel(full_slot.holder.family, full_slot.holder.child.pk, [full_slot.pk],
               full_slot.holder.user)
    assert states(full_slot)[first.child.pk] == "confirmed"
    assert ranks(full_slot) == {third.child.pk: 1, fourth.child.pk: 2, second.child.pk: 3}


def test_a_day_closed_with_requests_waiting_starts_its_list_afresh_when_reopened(
        activity, full_slot):
    wait_for(activity, full_slot, 2)
    staff = StaffFactory()
    close_slot(full_slot.pk, "Grève du personnel", staff)
    reopen_slot(full_slot.pk, staff)
    assert ranks(full_slot) == {}  # the two tickets recorded as gone with the closure
    first = ready_child(activity)
    with time_machine.travel(morning(full_slot, 10), tick=False):
        assert book_as(first, full_slot).state == "confirmed"
    [late] = wait_for(activity, full_slot, 1, days_before=9)
    assert ranks(full_slot) == {late.child.pk: 1}
