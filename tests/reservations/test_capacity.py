"""Places: a slot never holds more confirmed children than its capacity (the service, and the
database behind it), one reservation per child and slot, staff close days and change places."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from ground.models import OutboxMessage
from reservations.models import Reservation, Slot
from reservations.services import (
    book_children,
    cancel,
    close_slot,
    load_slots,
    reopen_slot,
    set_capacity,
)
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.reservations import SlotFactory, book_as, ready_child

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db


def days_before(slot, days: int, hour: int = 8) -> datetime.datetime:
    return datetime.datetime.combine(slot.date - datetime.timedelta(days=days),
                                     datetime.time(hour), tzinfo=PARIS)


def fill(activity, slot, count: int, *, when, join_waiting_list=False):
    bookers = [ready_child(activity) for _ in range(count)]
    with time_machine.travel(when, tick=False):
        outcomes = [book_as(b, slot, join_waiting_list=join_waiting_list) for b in bookers]
    return bookers, outcomes


def test_the_last_place_goes_to_one_and_the_next_is_told_it_is_full(activity):
    slot = SlotFactory(activity=activity, capacity=2)
    _, outcomes = fill(activity, slot, 3, when=days_before(slot, 20))
    assert [o.state for o in outcomes] == ["confirmed", "confirmed", "full"]
    slot.refresh_from_db()
    assert slot.booked == 2
    assert Reservation.objects.filter(slot=slot, state="confirmed").count() == 2


def test_closing_a_day_cancels_everyone_and_tells_each_family(activity):
    slot = SlotFactory(activity=activity, capacity=2)
    bookers, outcomes = fill(activity, slot, 3, when=days_before(slot, 20),
                             join_waiting_list=True)
    assert [o.state for o in outcomes] == ["confirmed", "confirmed", "waiting"]
    staff = StaffFactory()
    OutboxMessage.objects.all().delete()  # keep only what the closure writes

    with time_machine.travel(days_before(slot, 5), tick=False):
        closed = close_slot(slot.pk, "  Grève du personnel  ", staff)

    assert closed.closed and closed.closed_reason == "Grève du personnel"
    slot.refresh_from_db()
    assert (slot.closed, slot.booked) == (True, 0)
    rows = Reservation.objects.filter(slot=slot)
    assert {r.state for r in rows} == {Reservation.State.CANCELLED}
    assert {r.cancelled_at for r in rows} == {days_before(slot, 5)}
    assert {r.updated_by for r in rows} == {staff}
    messages = OutboxMessage.objects.filter(template="slot_closed")
    assert sorted(m.to[0] for m in messages) == sorted(b.user.email for b in bookers)
    for message in messages:
        assert "(Grève du personnel)" in message.body_text
        assert "ne vous sera pas facturée" in message.body_text
    assert not OutboxMessage.objects.exclude(template="slot_closed").exists()

    latecomer = ready_child(activity)
    with time_machine.travel(days_before(slot, 5), tick=False):
        refused = book_as(latecomer, slot, join_waiting_list=True)
    assert refused.state == "refused"
    assert refused.message == "Fermé : Grève du personnel."

    reopen_slot(slot.pk, staff)
    with time_machine.travel(days_before(slot, 5), tick=False):
        assert book_as(latecomer, slot).state == "confirmed"


def test_closing_needs_a_reason_for_the_families(slot, staff_user):
    with pytest.raises(ValidationError) as error:
        close_slot(slot.pk, "   ", staff_user)
    assert error.value.messages == ["Indiquez le motif de fermeture, il est montré aux familles."]
    slot.refresh_from_db()
    assert not slot.closed


def test_capacity_cannot_go_below_the_confirmed_places(activity, staff_user):
    slot = SlotFactory(activity=activity, capacity=5)
    fill(activity, slot, 3, when=days_before(slot, 20))

    with pytest.raises(ValidationError) as error:
        set_capacity(slot.pk, 2, staff_user)

    assert error.value.messages == [
        "3 enfants ont déjà une place confirmée : la capacité ne peut pas descendre en dessous."]
    slot.refresh_from_db()
    assert slot.capacity == 5
    assert set_capacity(slot.pk, 3, staff_user).capacity == 3
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (3, 3)


def test_the_database_refuses_more_booked_than_places(activity):
    slot = SlotFactory(activity=activity, capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=F("capacity") + 1)
    slot.refresh_from_db()
    assert slot.booked == 0
    # and the other way round: places cannot be lowered under what is booked
    Slot.objects.filter(pk=slot.pk).update(booked=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(capacity=1)


def test_the_same_child_twice_is_already_booked(booker, slot):
    with time_machine.travel(days_before(slot, 20), tick=False):
        first = book_as(booker, slot)
        again = book_as(booker, slot, join_waiting_list=True)

    assert first.state == "confirmed"
    assert again.state == "already"
    assert again.message == "Réservé"
    assert Reservation.objects.filter(slot=slot).count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1


def test_the_same_child_waiting_asks_again(activity):
    slot = SlotFactory(activity=activity, capacity=1)
    fill(activity, slot, 1, when=days_before(slot, 20))
    waiting = ready_child(activity)
    with time_machine.travel(days_before(slot, 19), tick=False):
        assert book_as(waiting, slot, join_waiting_list=True).state == "waiting"
        again = book_as(waiting, slot, join_waiting_list=True)
    assert (again.state, again.message) == ("already", "En liste d'attente")
    assert Reservation.objects.filter(child=waiting.child).count() == 1


def test_booking_again_after_cancelling_reuses_the_row(booker, slot):
    with time_machine.travel(days_before(slot, 20), tick=False):
        book_as(booker, slot)
        cancel(booker.family, booker.child.pk, [slot.pk], booker.user)
    cancelled = Reservation.objects.get(child=booker.child, slot=slot)
    assert cancelled.state == Reservation.State.CANCELLED
    assert cancelled.cancelled_at == days_before(slot, 20)

    with time_machine.travel(days_before(slot, 15), tick=False):
        again = book_as(booker, slot)

    assert again.state == "confirmed"
    row = Reservation.objects.get(child=booker.child, slot=slot)
    assert row.pk == cancelled.pk
    assert row.state == Reservation.State.CONFIRMED
    assert row.cancelled_at is None
    assert row.confirmed_at == days_before(slot, 15)
    slot.refresh_from_db()
    assert slot.booked == 1


def test_booking_again_when_full_goes_to_the_back_of_the_list(activity):
    slot = SlotFactory(activity=activity, capacity=1)
    (holder,), _ = fill(activity, slot, 1, when=days_before(slot, 20))
    (early,), _ = fill(activity, slot, 1, when=days_before(slot, 19), join_waiting_list=True)
    (later,), _ = fill(activity, slot, 1, when=days_before(slot, 18), join_waiting_list=True)
    with time_machine.travel(days_before(slot, 17), tick=False):
        cancel(early.family, early.child.pk, [slot.pk], early.user)
    with time_machine.travel(days_before(slot, 16), tick=False):
        assert book_as(early, slot, join_waiting_list=True).state == "waiting"
    assert Reservation.objects.get(child=early.child).waiting_since == days_before(slot, 16)

    with time_machine.travel(days_before(slot, 15), tick=False):
        cancel(holder.family, holder.child.pk, [slot.pk], holder.user)

    states = dict(Reservation.objects.filter(slot=slot).values_list("child", "state"))
    assert states == {holder.child.pk: "cancelled", later.child.pk: "confirmed",
                      early.child.pk: "waiting"}


def test_the_refusal_counts_one_child_in_the_singular(booker, slot, staff_user):
    with time_machine.travel(days_before(slot, 20), tick=False):
        book_as(booker, slot)
    with pytest.raises(ValidationError) as error:
        set_capacity(slot.pk, 0, staff_user)
    assert error.value.messages == [
        "1 enfant a déjà une place confirmée : la capacité ne peut pas descendre en dessous."]


def test_booking_brothers_and_sisters_never_books_another_familys_child(activity, slot):
    """The view reads the children; the service still checks each one belongs to the family."""
    ours, theirs = ready_child(activity), ready_child(activity)
    with pytest.raises(ValidationError) as refusal:
        book_children(ours.family, [(ours.child, load_slots([slot.pk])),
                                    (theirs.child, load_slots([slot.pk]))], ours.user)
    assert refusal.value.messages == ["Cet enfant n'appartient pas à votre famille."]
    assert not Reservation.objects.exists()
    assert not OutboxMessage.objects.filter(template="reservations_summary").exists()
