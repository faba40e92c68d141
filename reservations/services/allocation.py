"""Allocation runs (docs/allocation.md): the draw's commitment, a draft run staff can rerun,
its publication as reservations, and a family declining a granted day.

Publication goes through the booking's invariants: the slots' rows are locked in id order,
each slot's confirmed places are added to `booked` by one conditional update (the database's
`booked <= capacity` backs it), and what waits takes the slot's next waiting tickets in the
run's order, so that the existing promotion (booking.promote_waiting) takes over."""

import secrets
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from familles.access import owned_child
from familles.households import household_addresses, households
from familles.letters import write_many
from familles.models import Child, Family
from ground.bulk import insert_rows
from inscriptions.services import file_refusals

from .. import allocation_queries, draw, queries
from ..deadlines import format_day, format_moment, slot_deadline
from ..models import (
    ACTIVE_STATES,
    Allocation,
    AllocationEntry,
    AllocationRule,
    BookingPeriod,
    Reservation,
    Slot,
)
from ..rules import eligibility_refusal
from . import summaries
from .booking import Outcome, promote_waiting, release


def commit_draw(period_id, *, now=None) -> BookingPeriod:
    """Draw the period's secret and record its SHA-256, once, before its wish window opens;
    called whenever a period is put in allocation mode. After the opening the secret never
    changes: nobody can pick it knowing the wishes."""
    now = now or timezone.now()
    with transaction.atomic():
        period = BookingPeriod.objects.select_for_update().get(pk=period_id)
        if not period.allocates or period.draw_secret:
            return period
        if period.wishes_open_at is not None and now >= period.wishes_open_at:
            raise ValidationError(_(
                "Les vœux sont ouverts depuis le %(moment)s : il est trop tard pour fixer le "
                "secret du tirage. Reportez l'ouverture des vœux.") % {
                "moment": format_moment(period.wishes_open_at)})
        period.draw_secret = secrets.token_hex(32)
        period.draw_commitment = draw.commitment(period.draw_secret)
        period.save(update_fields=["draw_secret", "draw_commitment"])
    return period


def _priority_rules() -> tuple[tuple[str, ...], bool]:
    """(the enabled priority rules in order, whether siblings are kept together)."""
    enabled = allocation_queries.rules_for_parents()
    siblings = AllocationRule.Kind.SIBLINGS_TOGETHER.value
    return (tuple(r.kind for r in enabled if r.kind != siblings),
            any(r.kind == siblings for r in enabled))


ENTRY_FIELDS = ["allocation", "child", "slot", "family", "outcome", "priority_class",
                "draw_number", "waiting_order", "excluded_reason"]


def check_runnable(period: BookingPeriod, now) -> None:
    """Raise the French reason why `period` cannot be allocated now, if any."""
    if not period.allocates:
        raise ValidationError(_("Cette période n'est pas en mode attribution."))
    if now < period.wishes_close_at:
        raise ValidationError(_("Les vœux sont ouverts jusqu'au %(moment)s : "
                                "l'attribution se lance après.") % {
            "moment": format_moment(period.wishes_close_at)})
    if period.allocation_published_at is not None:
        raise ValidationError(_("L'attribution de cette période est déjà publiée."))
    if not period.draw_secret:
        raise ValidationError(_("Le secret du tirage n'a pas été fixé avant l'ouverture "
                                "des vœux : l'attribution ne peut pas être vérifiable."))


def run_allocation(period_id, staff_user, *, now=None) -> Allocation:
    """A draft run of the period, after its wish window: the wishes, each child's criteria
    and the slots' free places are frozen in it; the wishes no rule allows any more (file,
    enrolment, closed day, already booked) are left out with their reason. An earlier draft
    is kept, marked replaced. Refused once a run is published."""
    now = now or timezone.now()
    with transaction.atomic():
        period = BookingPeriod.objects.select_for_update().select_related(
            "activity__school_year").get(pk=period_id)
        check_runnable(period, now)
        wishes = allocation_queries.period_wishes(period)
        children = {w.child_id: w.child for w in wishes}
        year = period.activity.school_year
        refused_files = file_refusals([(child, year) for child in children.values()])
        enrolments = queries.validated_enrolments_of(list(children.values()),
                                                     [period.activity_id])
        held = set(Reservation.objects.filter(
            child_id__in=list(children), slot_id__in={w.slot_id for w in wishes},
            state__in=ACTIVE_STATES).values_list("child_id", "slot_id"))
        kept, excluded = [], []
        for wish in wishes:
            refusal = _exclusion(wish, refused_files, enrolments, held, year)
            (excluded.append((wish, refusal)) if refusal else kept.append(wish))
        rules, siblings = _priority_rules()
        criteria = allocation_queries.criteria_of(
            [children[c] for c in {w.child_id for w in kept}], period)
        slots = {w.slot_id: w.slot for w in kept}
        inputs = draw.Inputs(
            rules=rules, siblings_together=siblings,
            slots=tuple(draw.SlotPlaces(s.pk, s.date.isoformat(),
                                        0 if s.closed else max(s.capacity - s.booked, 0))
                        for s in slots.values()),
            children=tuple(draw.ChildCriteria(c, frozenset(m) & frozenset(rules))
                           for c, m in criteria.items()),
            wishes=tuple(draw.WishIn(w.child_id, w.slot_id, w.family_id, w.rank)
                         for w in kept))
        result = draw.allocate(inputs, period.draw_secret)
        Allocation.objects.filter(period=period, state=Allocation.State.DRAFT).update(
            state=Allocation.State.SUPERSEDED)
        allocation = Allocation.objects.create(
            period=period, algorithm_version=draw.VERSION, inputs=inputs.as_data(),
            inputs_digest=result.inputs_digest, result_digest=draw.digest(result.as_data()),
            created_by=staff_user)
        # One row per wish, as plain values (docs/performance.md, "Issue 28").
        families = {(w.child_id, w.slot_id): w.family_id for w in wishes}
        granted = AllocationEntry.Outcome.GRANTED.value
        waiting = AllocationEntry.Outcome.WAITING.value
        rows = [(allocation.pk, out.child, out.slot, families[out.child, out.slot],
                 granted if out.granted else waiting, result.classes[out.child],
                 result.draw_numbers[out.child], out.waiting_order, "")
                for out in result.wishes]
        rows += [(allocation.pk, wish.child_id, wish.slot_id, wish.family_id,
                  AllocationEntry.Outcome.EXCLUDED.value, None, None, None, refusal[:200])
                 for wish, refusal in excluded]
        insert_rows(AllocationEntry, ENTRY_FIELDS, rows)
    return allocation


def _exclusion(wish, refused_files, enrolments, held, year) -> str:
    refused = refused_files.get((wish.child_id, year.pk))
    if refused is not None:
        return refused.messages[0]
    if wish.slot.closed:
        return _("Fermé : %(reason)s.") % {"reason": wish.slot.closed_reason}
    if (wish.child_id, wish.slot_id) in held:
        return _("Déjà réservé.")
    return eligibility_refusal(wish.child, wish.slot, enrolments[wish.child_id])


def publish_allocation(allocation_id, staff_user, *, now=None) -> Allocation:
    """Publish the latest draft: granted wishes become confirmed reservations, the others
    wait on their slots in the run's order; the seed is revealed; each household is written
    what was granted and what waits. All or nothing: if a slot no longer has the places the
    run gave (staff changed it meanwhile), nothing is published and staff rerun."""
    now = now or timezone.now()
    with transaction.atomic():
        allocation = Allocation.objects.select_related("period").get(pk=allocation_id)
        period = BookingPeriod.objects.select_for_update().get(pk=allocation.period_id)
        allocation = Allocation.objects.select_for_update().get(pk=allocation_id)
        if allocation.state != Allocation.State.DRAFT:
            raise ValidationError(_("Seul le dernier brouillon peut être publié."))
        if period.allocation_published_at is not None:
            raise ValidationError(_("L'attribution de cette période est déjà publiée."))
        # The entries as plain values, each slot and child read once (docs/performance.md).
        entries = list(AllocationEntry.objects.filter(allocation=allocation).exclude(
            outcome=AllocationEntry.Outcome.EXCLUDED).order_by(
            "slot_id", "waiting_order", "child_id").values_list(
            "child_id", "slot_id", "family_id", "outcome", "waiting_order"))
        by_slot: dict[int, list[tuple]] = defaultdict(list)
        for entry in entries:
            by_slot[entry[1]].append(entry)
        locked = {s.pk: s for s in Slot.objects.select_for_update(of=("self",)).select_related(
            "unit").filter(pk__in=list(by_slot)).order_by("pk")}
        existing = {(child, slot): (pk, state) for pk, child, slot, state in
                    Reservation.objects.filter(child_id__in={e[0] for e in entries},
                                               slot_id__in=list(by_slot))
                    .values_list("pk", "child_id", "slot_id", "state")}
        for slot_id, some in by_slot.items():
            slot = locked[slot_id]
            granted = [e for e in some if e[3] == AllocationEntry.Outcome.GRANTED]
            waiting = [e for e in some if e[3] == AllocationEntry.Outcome.WAITING]
            if (granted and (slot.closed or slot.capacity - slot.booked < len(granted))) or any(
                    existing.get((e[0], slot_id), (None, None))[1] in ACTIVE_STATES
                    for e in some):
                raise ValidationError(_(
                    "Les places ou les réservations du %(day)s ont changé depuis ce brouillon "
                    ": relancez l'attribution avant de publier.") % {
                    "day": format_day(slot.date)})
            _write_reservations(slot, granted, waiting, existing, staff_user, now)
        allocation.state = Allocation.State.PUBLISHED
        allocation.seed = period.draw_secret
        allocation.published_at = now
        allocation.published_by = staff_user
        allocation.save(update_fields=["state", "seed", "published_at", "published_by"])
        period.allocation_published_at = now
        period.save(update_fields=["allocation_published_at"])
        _write_outcomes(allocation, entries, locked)
        # A day the siblings rule left with free places and somebody waiting (a brother
        # and sister who did not both fit): the places go down the waiting list, in order.
        for slot_id in by_slot:
            slot = Slot.objects.select_related("activity__deadline_rule").get(pk=slot_id)
            if slot.booked < slot.capacity:
                promote_waiting(slot, now)
    return allocation


RESERVATION_FIELDS = ["child", "slot", "family", "state", "source", "created_at",
                      "waiting_since", "waiting_ticket", "confirmed_at", "cancelled_at",
                      "cancelled_late", "updated_by"]


def _write_reservations(slot, granted, waiting, existing, staff_user, now) -> None:
    """The slot's reservations from the run, under its lock: the places and the waiting
    tickets by one conditional update, the waiting tickets following the slot's, in the
    run's order. `granted`, `waiting`: (child, slot, family, outcome, order) rows."""
    taken = Slot.objects.filter(pk=slot.pk, booked__lte=F("capacity") - len(granted)).update(
        booked=F("booked") + len(granted), waiting_tickets=F("waiting_tickets") + len(waiting))
    if not taken:  # cannot happen under the lock; the constraint would refuse anyway
        raise ValidationError(_("Plus assez de places."))
    confirmed, waits = Reservation.State.CONFIRMED.value, Reservation.State.WAITING.value
    rows = [(entry[0], entry[2], confirmed, None, None, now) for entry in granted]
    first_ticket = slot.waiting_tickets + 1
    rows += [(entry[0], entry[2], waits, now, first_ticket + offset, None)
             for offset, entry in enumerate(waiting)]
    fresh, created = [], timezone.now()
    user_id = staff_user.pk if staff_user is not None else None
    for child_id, family_id, state, since, ticket, confirmed_at in rows:
        found = existing.get((child_id, slot.pk))
        if found is not None:  # a cancelled request of this child on this day
            Reservation.objects.filter(pk=found[0]).update(
                family_id=family_id, state=state, source=Reservation.Source.ALLOCATION,
                waiting_since=since, waiting_ticket=ticket, confirmed_at=confirmed_at,
                cancelled_at=None, cancelled_late=False, updated_by=staff_user)
        else:
            fresh.append((child_id, slot.pk, family_id, state,
                          Reservation.Source.ALLOCATION.value, created, since, ticket,
                          confirmed_at, None, False, user_id))
    insert_rows(Reservation, RESERVATION_FIELDS, fresh)


def _write_outcomes(allocation, entries, slots) -> None:
    """One message per household: for each child, the days granted and those waiting.
    `entries`: (child, slot, family, outcome, order) rows; `slots`: by id, with their unit."""
    children = Child.objects.in_bulk({e[0] for e in entries})
    letters: dict[int, dict] = defaultdict(dict)
    for child_id, slot_id, _family, outcome, order in sorted(
            entries, key=lambda e: (slots[e[1]].date, slots[e[1]].unit.position)):
        slot, child = slots[slot_id], children[child_id]
        line = {"day": format_day(slot.date), "unit": slot.unit.label,
                "granted": outcome == AllocationEntry.Outcome.GRANTED, "waiting_order": order}
        for household in households(child):
            group = letters[household].setdefault(child_id, {"child": child, "lines": []})
            group["lines"].append(line)
    addresses = household_addresses(children.values())
    period = allocation.period
    decline_until = format_moment(allocation_queries.decline_until(allocation))
    write_many("allocation_published", [
        (household, addresses[household].emails, addresses[household].by_post, {
            "period": period, "activity": period.activity, "groups": list(groups.values()),
            "names": get_text_list([g["child"].first_name for g in groups.values()], _("et")),
            "decline_until": decline_until,
            "commitment": period.draw_commitment, "seed": allocation.seed})
        for household, groups in letters.items()])


def decline(family: Family, child_id, slot_id, user, *, now=None) -> Reservation:
    """The family gives back a day granted by the published run, within the period's
    decline time and before the day's deadline: its place goes to the waiting list
    (booking.release promotes the first waiting)."""
    now = now or timezone.now()
    child = owned_child(family, child_id)
    with transaction.atomic():
        entry = (AllocationEntry.objects.select_for_update(of=("self",)).select_related(
            "allocation__period", "slot__activity__deadline_rule", "slot__unit")
            .filter(child=child, slot_id=slot_id, allocation__state=Allocation.State.PUBLISHED,
                    outcome=AllocationEntry.Outcome.GRANTED).first())
        if entry is None:
            raise ValidationError(_("Ce jour n'a pas été attribué à %(child)s.") % {
                "child": child.first_name})
        if entry.declined_at is not None:
            raise ValidationError(_("Vous avez déjà renoncé à ce jour."))
        limit = allocation_queries.decline_until(entry.allocation)
        if now >= limit:
            raise ValidationError(_("Il était possible de renoncer jusqu'au %(moment)s ; "
                                    "annulez ce jour comme une autre réservation.") % {
                "moment": format_moment(limit)})
        if now >= slot_deadline(entry.slot):
            raise ValidationError(_("Hors délai : ce jour ne peut plus être rendu."))
        reservation = Reservation.objects.filter(
            child=child, slot_id=slot_id, state=Reservation.State.CONFIRMED).first()
        if reservation is None:
            raise ValidationError(_("Ce jour n'est plus réservé."))
        released = release(reservation.pk, user, now=now)
        entry.declined_at = now
        entry.save(update_fields=["declined_at"])
    summaries.record([(child, [Outcome(entry.slot, "cancelled")])], now=now)
    return released
