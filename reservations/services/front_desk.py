"""The front desk's bulk actions (issue 25): staff book, cancel or mark presence for many
children and days at once from the booking grid, through the services parents use, so that
capacity, the waiting list and the families' e-mails hold whoever acts.

- Booking: `booking.book_children`, household by household (one transaction per child's days,
  as for parents), source « Service », the agent as `updated_by`; a full day puts the child on
  the waiting list if staff ask for it. Past the parents' limits (a period closed, a deadline
  gone) staff must give a reason: nothing is booked without it.
- Cancelling: `booking.release` per reservation (its own transaction; the waiting list is
  served), never billed here; recorded for each household's summary (summaries.py).
- Presence: `registers.record_attendance`, day by day (each day all or nothing).

Each booking or cancellation is written in the family's journal (`familles.journal`), one
event per household and action, with the agent, the channel and the reason: the family reads
it on « Historique », staff on its page.

Each answer is a `Report` whose `message()` says what happened in one French sentence."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from familles import journal
from familles.households import households
from familles.models import Child, FamilyEvent
from inscriptions.models import Activity, Site

from .. import queries
from ..deadlines import format_date, slot_deadline
from ..models import ACTIVE_STATES as ACTIVE
from ..models import Attendance, Reservation
from ..rules import past_parent_limits, period_for
from . import booking, registers, summaries


@dataclass
class Report:
    """What one bulk action did: counts, and each refusal in words."""

    booked: int = 0
    waiting: int = 0
    cancelled: int = 0
    marked: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)
    # Per child, the days changed: (child, [(slot, state)]), for the families' history.
    changes: dict = field(default_factory=lambda: defaultdict(list))

    def message(self) -> str:
        """« 12 réservations, 2 en liste d'attente, 1 refusée : Léa Martin, mercredi 7
        janvier : Complet. »"""
        parts = []
        if self.booked:
            parts.append(ngettext("%(n)s réservation", "%(n)s réservations", self.booked)
                         % {"n": self.booked})
        if self.waiting:
            parts.append(_("%(n)s en liste d'attente") % {"n": self.waiting})
        if self.cancelled:
            parts.append(ngettext("%(n)s annulation", "%(n)s annulations", self.cancelled)
                         % {"n": self.cancelled})
        if self.marked:
            parts.append(ngettext("%(n)s pointage", "%(n)s pointages", self.marked)
                         % {"n": self.marked})
        if self.unchanged:
            parts.append(ngettext("%(n)s déjà fait", "%(n)s déjà faits", self.unchanged)
                         % {"n": self.unchanged})
        if self.refused:
            parts.append(ngettext("%(n)s refusée", "%(n)s refusées", len(self.refused))
                         % {"n": len(self.refused)})
        if not parts:
            return _("Rien à faire pour les cases choisies.")
        sentence = ", ".join(parts)
        if self.refused:
            sentence += " : " + " ; ".join(self.refused)
        return sentence + "."


def _day(slot) -> str:
    return format_date(slot.date, "l j F")


def _refusal(child, slot, reason: str) -> str:
    return _("%(child)s, %(day)s (%(unit)s) : %(reason)s") % {
        "child": child, "day": _day(slot), "unit": slot.unit.label,
        "reason": reason.rstrip(".")}


def _load(activity: Activity, site: Site, cells) -> tuple[dict, dict]:
    """The children (with both households) and the slots of the cells, the slots checked to
    be the activity's at the site: two queries."""
    cells = list(cells)
    slots = {slot.pk: slot for slot in queries.slots_by_id({s for _c, s in cells})}
    if any(slot.activity_id != activity.pk or slot.site_id != site.pk
           for slot in slots.values()) or len(slots) != len({s for _c, s in cells}):
        raise ValidationError(_("Ces cases ne sont pas de cette activité à ce lieu : "
                                "rechargez la grille."))
    children = Child.objects.select_related("family", "second_family").in_bulk(
        {c for c, _s in cells})
    if len(children) != len({c for c, _s in cells}):
        raise ValidationError(_("Enfant inconnu : rechargez la grille."))
    return children, slots


def _require_reason(late: list[str], reason: str) -> None:
    if late and not reason:
        raise ValidationError(_(
            "Le délai des familles est dépassé pour %(days)s : indiquez le motif, il est "
            "enregistré dans l'historique de la famille. Rien n'a été fait.") % {
            "days": get_text_list(sorted(set(late)), _("et"))})


def _days(slots) -> str:
    """« lundi 4, mardi 5 et jeudi 7 octobre »: the days in order, each month named once."""
    dates = sorted({slot.date for slot in slots})
    words = [format_date(day, "l j") if index + 1 < len(dates)
             and dates[index + 1].month == day.month else format_date(day, "l j F")
             for index, day in enumerate(dates)]
    return get_text_list(words, _("et"))


def _journal(report: Report, activity, heading: str, staff_user, channel, reason) -> None:
    """One event per household: « Réservation par le service, Cantine : Léa, lundi 4 et
    mardi 5 octobre ; Hugo, en liste d'attente jeudi 7 octobre »."""
    by_household: dict[int, list[str]] = defaultdict(list)
    for child, changes in report.changes.items():
        kept = [slot for slot, state in changes if state != "waiting"]
        waiting = [slot for slot, state in changes if state == "waiting"]
        parts = [_days(kept)] if kept else []
        if waiting:
            parts.append(_("en liste d'attente %(days)s") % {"days": _days(waiting)})
        line = f"{child.first_name}, {', '.join(parts)}"
        for household in households(child):
            by_household[household].append(line)
    for household, lines in by_household.items():
        journal.record(household, _("%(heading)s, %(activity)s : %(lines)s") % {
            "heading": heading, "activity": activity.name, "lines": " ; ".join(lines)},
            actor=staff_user, channel=channel, reason=reason)


def book_cells(activity: Activity, site: Site, cells, staff_user, *, join_waiting_list=True,
               reason: str = "", channel=FamilyEvent.Channel.COUNTER, now=None) -> Report:
    """Book each (child id, slot id) cell. Past the parents' limits, `reason` is required
    for every cell there (checked before anything is written); given, it is recorded in the
    families' journal with what was booked and `channel` (how the family asked)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    cells = sorted(set(cells))
    report = Report()
    if not cells:
        return report
    children, slots = _load(activity, site, cells)
    held = {(r.child_id, r.slot_id) for r in queries.requested(
        list(children), list(slots)) if r.state in ACTIVE}
    periods = queries.periods_of([activity.pk])
    # Read once for the whole grid, not again by each household's booking.
    enrolments = queries.validated_enrolments_of(list(children.values()), [activity.pk])
    wanted = [(c, s) for c, s in cells if (c, s) not in held]
    report.unchanged = len(cells) - len(wanted)
    _require_reason([_day(slots[s]) for _c, s in wanted
                     if past_parent_limits(slots[s], period_for(slots[s], periods), now)],
                    reason)
    # One booking action per household, as brothers and sisters booked together by a parent.
    by_family: dict[int, dict[Child, list]] = defaultdict(lambda: defaultdict(list))
    for child_id, slot_id in wanted:
        child = children[child_id]
        by_family[child.family_id][child].append(slots[slot_id])
    for some in by_family.values():
        family = next(iter(some)).family
        try:
            done = booking.book_children(
                family, list(some.items()), staff_user, join_waiting_list=join_waiting_list,
                now=now, source=Reservation.Source.STAFF, past_limits=bool(reason),
                enrolments={child.pk: enrolments[child.pk] for child in some}, periods=periods)
        except booking.Busy as busy:
            report.refused += [_refusal(child, slot, busy.messages[0])
                               for child, days in some.items() for slot in days]
            continue
        for result in done:
            _count(report, result)
    _journal(report, activity, _("Réservation par le service"), staff_user, channel, reason)
    return report


def _count(report: Report, result: booking.ChildBooking) -> None:
    child = result.child
    if result.refusal is not None:
        report.refused.append(_("%(child)s : %(reason)s") % {
            "child": child, "reason": result.refusal.messages[0].rstrip(".")})
        return
    for outcome in result.outcomes:
        if outcome.state == "confirmed":
            report.booked += 1
        elif outcome.state == "waiting":
            report.waiting += 1
        elif outcome.state == "already":
            report.unchanged += 1
        else:
            report.refused.append(_refusal(child, outcome.slot, outcome.message))
        if outcome.changed:
            report.changes[child].append((outcome.slot, outcome.state))


def cancel_cells(activity: Activity, site: Site, cells, staff_user, *, reason: str = "",
                 channel=FamilyEvent.Channel.COUNTER, now=None) -> Report:
    """Cancel the reservations (confirmed or waiting) of these cells, not billed: each in its
    own transaction that serves the waiting list. A confirmed day past its deadline needs
    `reason` (checked before anything is written). Recorded for each household's summary."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    cells = set(cells)
    report = Report()
    if not cells:
        return report
    children, _slots = _load(activity, site, cells)
    reservations = queries.active_in_cells(cells)
    report.unchanged = len(cells) - len(reservations)
    _require_reason([_day(r.slot) for r in reservations
                     if r.state == Reservation.State.CONFIRMED
                     and now >= slot_deadline(r.slot)], reason)
    outcomes: dict[Child, list] = defaultdict(list)
    for reservation in reservations:
        child = children[reservation.child_id]
        try:
            booking.release(reservation.pk, staff_user, now=now)
        except booking.Busy as busy:
            report.refused.append(_refusal(child, reservation.slot, busy.messages[0]))
            continue
        report.cancelled += 1
        outcomes[child].append(booking.Outcome(reservation.slot, "cancelled"))
        report.changes[child].append((reservation.slot, "cancelled"))
    summaries.record(list(outcomes.items()), by_service=True, now=now)
    _journal(report, activity, _("Annulation par le service"), staff_user, channel, reason)
    return report


def mark_cells(activity: Activity, site: Site, cells, status: str, staff_user, *,
               today: date | None = None) -> Report:
    """Record these children present (or absent) on these cells' units, day by day through
    the register's service: a day refused (not come yet, closed…) is said, the others kept."""
    if status not in Attendance.Status.values:
        raise ValidationError(_("Indiquez présent ou absent."))
    cells = set(cells)
    report = Report()
    if not cells:
        return report
    _children, slots = _load(activity, site, cells)
    days: dict[date, list] = defaultdict(list)
    for child_id, slot_id in sorted(cells):
        slot = slots[slot_id]
        days[slot.date].append(registers.AttendanceMark(
            child_id=child_id, unit_id=slot.unit_id, status=status))
    for day, marks in sorted(days.items()):
        try:
            saved = registers.record_attendance(activity, site, day, marks, staff_user,
                                                today=today)
        except ValidationError as error:
            report.refused.append(_("%(day)s : %(reason)s") % {
                "day": format_date(day, "l j F"),
                "reason": " ".join(error.messages).rstrip(".")})
            continue
        report.marked += len(saved)
        report.unchanged += len(marks) - len(saved)
    return report
