"""Booking and cancelling: DESIGN.md's first two invariants.

Capacity: every check that needs no lock (ownership, enrolment, age group, opening date,
deadline) runs first. On PostgreSQL the days never requested are then booked in one statement
(`places.py`: slot rows locked in id order, each day confirmed or waiting). Otherwise each slot
is booked in its own short transaction, slots taken in id order: a conditional
`UPDATE slot SET booked = booked + 1 WHERE booked < capacity` both checks and consumes the
place, and the row lock it takes is held only until the reservation row is written. The
database's check constraint `booked <= capacity` backs it up. Freeing a place promotes the
first waiting reservation in the same transaction.

Time: opening dates and deadlines are checked here, on the server, in Europe/Paris.

One child, one place at a time: a unit whose hours meet those of a unit the child holds that
day is refused, naming it (rules.overlap_refusal), checked under the child's row lock so
that two overlapping bookings sent at once cannot both pass."""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from familles.access import owned_child, require_own_child
from familles.households import write_to_households
from familles.models import Child, Family
from inscriptions.services import file_refusals

from .. import queries
from ..deadlines import describe, format_moment, slot_deadline
from ..models import ACTIVE_STATES, BookingPeriod, Reservation, Slot, WaitingListExit
from ..rules import (
    ASKED_TOGETHER,
    eligibility_refusal,
    overlap_refusal,
    period_for,
    time_refusal,
)
from . import places, summaries

logger = logging.getLogger(__name__)


class Busy(ValidationError):
    """Too many people on the same slot right now: the answer is "try again", never a hang."""

    def __init__(self):
        super().__init__(_("Trop de demandes en même temps sur ce jour : réessayez dans un "
                           "instant."))


@dataclass
class Outcome:
    slot: Slot
    state: str  # confirmed, waiting, full, already, cancelled, refused
    message: str = ""

    @property
    def changed(self) -> bool:
        return self.state in ("confirmed", "waiting", "cancelled")


def _is_lock_timeout(error: OperationalError) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == "55P03" or "locked" in str(error)


def load_slots(slot_ids) -> list[Slot]:
    """The slots as booking reads them, in id order (ids that cannot exist are ignored)."""
    return queries.slots_by_id(slot_ids)


def validated_enrolments(child: Child, activity_ids) -> dict:
    return queries.validated_enrolments_of([child], activity_ids)[child.pk]


@dataclass
class ChildBooking:
    """What one booking action did for one child: each day's outcome, or why he could book
    nothing at all (his file)."""

    child: Child
    outcomes: list[Outcome] = field(default_factory=list)
    refusal: ValidationError | None = None
    # The booking periods of the activities booked, as the days were judged by them: the
    # answer that shows these days needs them again.
    periods: list[BookingPeriod] = field(default_factory=list)


def book(family: Family, child_id, slot_ids, user, *, join_waiting_list=False, now=None,
         source=Reservation.Source.PARENT, check_period=True, past_limits=False,
         notify=True) -> list[Outcome]:
    """Book a child on several slots; each one is confirmed, put on the waiting list (if the
    parent accepts it), or refused with its reason. Raises Busy if a slot stays locked."""
    child = owned_child(family, child_id)
    (done,) = book_children(family, [(child, load_slots(slot_ids))], user,
                            join_waiting_list=join_waiting_list, now=now, source=source,
                            check_period=check_period, past_limits=past_limits,
                            notify=notify)
    if done.refusal is not None:
        raise done.refusal
    return done.outcomes


def book_children(family: Family, wanted: list[tuple[Child, list[Slot]]], user, *,
                  join_waiting_list=False, now=None, source=Reservation.Source.PARENT,
                  check_period=True, past_limits=False, notify=True,
                  enrolments=None, periods=None) -> list[ChildBooking]:
    """One action for brothers and sisters: each child (as read by the caller) on his own
    slots (read with SLOT_RELATIONS). Files, enrolments, periods and existing rows are read
    once for all of them, before anything is booked (`enrolments`: {child id: {activity id:
    his validated enrolment}} for every activity of his slots, when the caller has read them
    already; `periods`: their activities' booking periods, likewise); each child's new days
    are then taken in one statement; what changed is recorded for each household's summary
    (summaries.py: one message per booking session, brothers and sisters together).
    `past_limits`: staff with a recorded reason, past the parents' limits (rules.time_refusal).
    Raises Busy if a slot stays locked (the children booked before it stay booked)."""
    now = now or timezone.now()
    children = [require_own_child(family, child) for child, _slots in wanted]
    # Each child's school years, in a fixed order: the first refused one is his answer.
    years = {child.pk: sorted({slot.activity.school_year for slot in some},
                              key=lambda year: year.pk) for child, some in wanted}
    refusals = file_refusals([(child, year) for child in children for year in years[child.pk]])
    slots = {slot.pk: slot for _child, some in wanted for slot in some}
    if enrolments is None:
        enrolments = queries.validated_enrolments_of(
            children, {slot.activity_id for slot in slots.values()})
    if periods is None:
        periods = queries.periods_of({a for some in enrolments.values() for a in some})
    # Read once for all the days, outside any lock: a day already requested costs nothing
    # more (the second guardian pressing the same button), and the rows found here are
    # re-checked by the conditional writes inside each day's transaction.
    existing: dict[int, dict] = {child.pk: {} for child in children}
    for row in queries.requested(list(existing), list(slots)):
        existing[row.child_id][row.slot_id] = row
    by_service = source == Reservation.Source.STAFF
    done = []
    try:
        for child, some in wanted:
            result = ChildBooking(child, periods=periods)
            done.append(result)
            refused = [refusals[child.pk, year.pk] for year in years[child.pk]
                       if (child.pk, year.pk) in refusals]
            if refused:
                result.refusal = refused[0]
                continue
            result.outcomes = _book_child(
                child, sorted(some, key=lambda slot: slot.pk), enrolments[child.pk], periods,
                existing[child.pk], family, user, join_waiting_list, now, source, check_period,
                past_limits)
    except Busy:
        if notify:  # what the children before the busy one got is booked: say it
            summaries.record([(r.child, r.outcomes) for r in done], by_service=by_service,
                             now=now)
        raise
    if notify:
        summaries.record([(r.child, r.outcomes) for r in done], by_service=by_service, now=now)
    return done


def _book_child(child, slots, enrolments, periods, existing, family, user, join_waiting_list,
                now, source, check_period, past_limits) -> list[Outcome]:
    outcomes: dict[int, Outcome] = {}
    wanted = []
    for slot in slots:
        refusal = eligibility_refusal(child, slot, enrolments) or time_refusal(
            slot, period_for(slot, periods), now, check_period=check_period,
            past_limits=past_limits)
        if refusal:
            outcomes[slot.pk] = Outcome(slot, "refused", refusal)
        else:
            wanted.append(slot)
    if any(slot.unit.has_hours for slot in wanted):
        # A unit with hours may overlap one the child holds (rules.overlap_refusal): his
        # row lock makes two such bookings of his wait for each other, and what he holds is
        # read under it, so that both cannot pass the check. Units without hours overlap
        # nothing but themselves (one per day already): no lock, no read for them.
        try:
            with transaction.atomic():
                places.short_lock_timeout()
                queries.lock_child(child.pk)
                held = queries.held_on(child.pk, {slot.date for slot in wanted})
                kept = []
                for slot in wanted:
                    found = existing.get(slot.pk)
                    refusal = "" if found is not None and found.state in ACTIVE_STATES else (
                        overlap_refusal(child, slot, held))
                    if refusal:
                        outcomes[slot.pk] = Outcome(slot, "refused", refusal)
                        continue
                    held.append((slot, ASKED_TOGETHER))  # the next ones see it
                    kept.append(slot)
                _take(child, kept, existing, family, user, join_waiting_list, now, source,
                      outcomes)
        except OperationalError as error:
            if _is_lock_timeout(error):
                raise Busy() from error
            raise
    else:
        _take(child, wanted, existing, family, user, join_waiting_list, now, source, outcomes)
    return [outcomes[slot.pk] for slot in slots]



def _take(child, slots, existing, family, user, join_waiting_list, now, source,
          outcomes: dict) -> None:
    """Book these slots (refused by no rule) into `outcomes`: "already" for a day requested
    before, the days never requested in one statement on PostgreSQL, the others one by one."""
    fresh = []  # days never requested: all in one statement on PostgreSQL
    in_one_statement = places.one_statement()
    labels: dict[str, str] = {}  # each state's words translated once, not once per day
    for slot in slots:
        found = existing.get(slot.pk)
        if found is not None and found.state != Reservation.State.CANCELLED:
            if found.state not in labels:
                labels[found.state] = _state_label(found.state)
            outcomes[slot.pk] = Outcome(slot, "already", labels[found.state])
        elif found is None and in_one_statement:
            fresh.append(slot)
        else:
            outcomes[slot.pk] = _book_one(child, slot, found, family, user,
                                          join_waiting_list, now, source)
    if fresh:
        outcomes.update(_book_fresh(child, fresh, family, user, join_waiting_list, now,
                                    source))


def _state_label(state: str) -> str:
    """`get_state_display()`, without its walk over the field's choices: a second guardian
    pressing the same button gets "already" for each of fifteen days."""
    return str(Reservation.State(state).label)


def _book_fresh(child, slots, family, user, join_waiting_list, now, source) -> dict:
    try:
        states = places.take_places_and_insert(child, slots, family, user, join_waiting_list,
                                               now, source)
    except IntegrityError:
        # One of these days was booked meanwhile from another tab; nothing was written: day
        # by day, each answers for itself ("already" for that one).
        return {slot.pk: _book_one(child, slot, None, family, user, join_waiting_list, now,
                                   source) for slot in slots}
    except OperationalError as error:
        if _is_lock_timeout(error):
            raise Busy() from error
        raise
    return {slot.pk: Outcome(slot, states[slot.pk]) if slot.pk in states
            else Outcome(slot, "full", _("Complet.")) for slot in slots}


def _book_one(child, slot, existing, family, user, join_waiting_list, now, source) -> Outcome:
    """`existing`: the child's cancelled reservation on this slot, or None. Either way the
    write below checks it again: a row created meanwhile breaks the unique constraint, a row
    no longer cancelled fails the conditional update; both answer "already"."""
    try:
        with transaction.atomic():
            places.short_lock_timeout()
            state = take_place(slot)
            ticket = None
            if state is None:
                if not join_waiting_list:
                    return Outcome(slot, "full", _("Complet."))
                state = Reservation.State.WAITING
                ticket = _next_ticket(slot)
            fields = {
                "state": state, "family": family, "source": source, "updated_by": user,
                "waiting_since": now if state == Reservation.State.WAITING else None,
                "waiting_ticket": ticket,
                "confirmed_at": now if state == Reservation.State.CONFIRMED else None,
                "cancelled_at": None, "cancelled_late": False,
            }
            if existing is None:
                Reservation.objects.create(child=child, slot=slot, **fields)
            elif not Reservation.objects.filter(
                    pk=existing.pk, state=Reservation.State.CANCELLED).update(**fields):
                raise IntegrityError("reservation changed meanwhile")
    except IntegrityError:
        # The same child booked the same slot from another tab at the same instant.
        return Outcome(slot, "already", _("Déjà demandé."))
    except OperationalError as error:
        if _is_lock_timeout(error):
            raise Busy() from error
        raise
    return Outcome(slot, state)


def take_place(slot: Slot) -> str | None:
    """Take a place on the slot for the reservation being written: "confirmed", or None when
    it is full (the slot's row is then locked for the waiting list's ticket)."""
    taken = Slot.objects.filter(pk=slot.pk, closed=False, booked__lt=F("capacity")).update(
        booked=F("booked") + 1)
    if taken:
        return Reservation.State.CONFIRMED
    # Full as far as the update saw. Lock the row and look again: a cancellation may have
    # freed a place with nobody waiting, and whoever joins the waiting list must do it
    # under the lock that promotions take, or the place would stay empty.
    locked = Slot.objects.select_for_update().get(pk=slot.pk)
    if not locked.closed and locked.booked < locked.capacity:
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
        return Reservation.State.CONFIRMED
    return None


def _next_ticket(slot: Slot) -> int:
    """The waiting list's next ticket. The caller holds the slot's lock (`take_place` took
    it on finding the slot full), so tickets follow the order requests joined."""
    Slot.objects.filter(pk=slot.pk).update(waiting_tickets=F("waiting_tickets") + 1)
    return Slot.objects.values_list("waiting_tickets", flat=True).get(pk=slot.pk)


def _leave_waiting_list(slot: Slot, reservations, now) -> None:
    """Record the tickets of those still waiting among these reservations as gone, before
    their state changes; the caller holds the slot's lock. Every way off the list passes
    here (withdrawn, given a place, the day closed), so each ticket is held by a waiting
    request or recorded as gone, and a rank is its ticket less the exits before it."""
    WaitingListExit.objects.bulk_create([
        WaitingListExit(slot=slot, ticket=reservation.waiting_ticket, left_at=now)
        for reservation in reservations if reservation.state == Reservation.State.WAITING])


def cancel(family: Family, child_id, slot_ids, user, *, now=None,
           notify=True) -> list[Outcome]:
    """The parent cancels before the deadline; after it, only an absence can be justified."""
    now = now or timezone.now()
    child = owned_child(family, child_id)
    reservations = Reservation.objects.filter(
        child=child, slot_id__in=slot_ids,
        state__in=[Reservation.State.CONFIRMED, Reservation.State.WAITING],
    ).select_related("slot__activity__deadline_rule").order_by("slot_id")
    outcomes = []
    for reservation in reservations:
        slot = reservation.slot
        rule = getattr(slot.activity, "deadline_rule", None)
        deadline = slot_deadline(slot)
        # A waiting request holds no place and can no longer be promoted after the deadline:
        # the family may withdraw it at any time.
        if now >= deadline and reservation.state == Reservation.State.CONFIRMED:
            outcomes.append(Outcome(slot, "refused", _(
                "Hors délai : l'annulation était possible jusqu'au %(moment)s (%(rule)s). "
                "Vous pouvez justifier l'absence.") % {"moment": format_moment(deadline),
                                                       "rule": describe(rule)}))
            continue
        release(reservation.pk, user, now=now)
        outcomes.append(Outcome(slot, "cancelled"))
    if notify:
        summaries.record([(child, outcomes)], now=now)
    return outcomes


def release(reservation_id, user, *, now=None, late=False) -> Reservation | None:
    """Cancel one reservation and give its place to the first waiting one, atomically."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            places.short_lock_timeout()
            reservation = Reservation.objects.select_related("slot").get(pk=reservation_id)
            slot = Slot.objects.select_for_update().get(pk=reservation.slot_id)
            # Re-read under the slot lock: every change of this slot's places takes it.
            reservation = Reservation.objects.get(pk=reservation_id)
            if reservation.state == Reservation.State.CANCELLED:
                return reservation
            was_confirmed = reservation.state == Reservation.State.CONFIRMED
            _leave_waiting_list(slot, [reservation], now)
            reservation.state = Reservation.State.CANCELLED
            reservation.cancelled_at = now
            reservation.cancelled_late = late
            reservation.updated_by = user
            reservation.save(update_fields=["state", "cancelled_at", "cancelled_late",
                                            "updated_by"])
            if was_confirmed:
                Slot.objects.filter(pk=slot.pk).update(booked=F("booked") - 1)
                slot.booked -= 1
                promote_waiting(slot, now)
            return reservation
    except OperationalError as error:
        if _is_lock_timeout(error):
            raise Busy() from error
        raise


def cancel_by_staff(reservation_id, staff_user, *, late=False, now=None) -> bool:
    """Staff cancel a reservation, billed (`late`) or not; the family is told in the same
    transaction. Returns False when it was already cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        reservation = Reservation.objects.select_related(
            "child__family", "child__second_family", "slot__activity", "slot__unit",
            "slot__site").get(pk=reservation_id)
        if reservation.state == Reservation.State.CANCELLED:
            return False
        release(reservation_id, staff_user, now=now, late=late)
        write_to_households("reservation_cancelled_by_staff", reservation.child, {
            "reservation": reservation, "child": reservation.child, "slot": reservation.slot,
            "activity": reservation.slot.activity, "billed": late})
    return True


def promote_waiting(slot: Slot, now) -> list[Reservation]:
    """Fill free places from the waiting list, in order. The caller holds the slot's lock.

    Nobody is promoted once the day's deadline has passed: the family could no longer
    cancel a place it did not expect, so the waiting request simply lapses."""
    if slot.closed or now >= slot_deadline(slot):
        return []
    free = slot.capacity - slot.booked
    if free <= 0:
        return []
    promoted = list(Reservation.objects.filter(
        slot=slot, state=Reservation.State.WAITING).select_related("child__family",
                                                                   "child__second_family")
        .order_by("waiting_ticket")[:free])
    _leave_waiting_list(slot, promoted, now)
    for reservation in promoted:
        reservation.state = Reservation.State.CONFIRMED
        reservation.confirmed_at = now
        reservation.save(update_fields=["state", "confirmed_at"])
        write_to_households("reservation_promoted", reservation.child, {
            "reservation": reservation, "child": reservation.child, "slot": slot,
            "activity": slot.activity})
    if promoted:
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + len(promoted))
        slot.booked += len(promoted)
    return promoted


@transaction.atomic
def set_capacity(slot_id, capacity: int, staff_user, *, now=None) -> Slot:
    """Staff change a slot's places; raising them promotes waiting reservations at once."""
    now = now or timezone.now()
    slot = Slot.objects.select_for_update(of=("self",)).select_related(
        "activity__deadline_rule").get(pk=slot_id)
    if capacity < slot.booked:
        raise ValidationError(ngettext(
            "%(n)s enfant a déjà une place confirmée : la capacité ne peut pas descendre en "
            "dessous.",
            "%(n)s enfants ont déjà une place confirmée : la capacité ne peut pas descendre en "
            "dessous.", slot.booked) % {"n": slot.booked})
    slot.capacity = capacity
    slot.save(update_fields=["capacity"])
    promote_waiting(slot, now)
    return slot


@transaction.atomic
def close_slot(slot_id, reason: str, staff_user, *, now=None) -> Slot:
    """Staff close a day (strike, closure): every reservation is cancelled and the family told."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif de fermeture, il est montré aux familles."))
    slot = Slot.objects.select_for_update(of=("self",)).select_related("activity").get(
        pk=slot_id)
    slot.closed = True
    slot.closed_reason = reason
    slot.booked = 0
    slot.save(update_fields=["closed", "closed_reason", "booked"])
    active = list(Reservation.objects.filter(
        slot=slot, state__in=[Reservation.State.CONFIRMED, Reservation.State.WAITING]
    ).select_related("child__family", "child__second_family"))
    _leave_waiting_list(slot, active, now)
    for reservation in active:
        reservation.state = Reservation.State.CANCELLED
        reservation.cancelled_at = now
        reservation.updated_by = staff_user
        reservation.save(update_fields=["state", "cancelled_at", "updated_by"])
        write_to_households("slot_closed", reservation.child, {
            "reservation": reservation, "child": reservation.child, "slot": slot,
            "activity": slot.activity, "reason": reason})
    return slot


@transaction.atomic
def reopen_slot(slot_id, staff_user) -> Slot:
    slot = Slot.objects.select_for_update().get(pk=slot_id)
    slot.closed = False
    slot.closed_reason = ""
    slot.save(update_fields=["closed", "closed_reason"])
    return slot
