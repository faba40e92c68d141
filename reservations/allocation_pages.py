"""The parent pages of allocation periods (docs/allocation.md, « Ce que voient les
familles »): where the household can wish, what it may wish for, and the published outcome in
words. Reads only; the state changes are reservations.services (submit_wishes, decline)."""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from familles.models import Child, Family
from inscriptions.services import file_refusals

from . import allocation_queries, queries
from .calendar import waiting_words
from .deadlines import format_moment
from .models import AllocationEntry, BookingPeriod, Reservation, Slot, Wish
from .rules import eligibility_refusal

# The states of a period, as the parent page shows it.
UPCOMING, OPEN, CLOSED, PUBLISHED = "upcoming", "open", "closed", "published"


def period_state(period: BookingPeriod, now) -> str:
    if period.allocation_published_at is not None:
        return PUBLISHED
    if now < period.wishes_open_at:
        return UPCOMING
    if now < period.wishes_close_at:
        return OPEN
    return CLOSED


@dataclass
class PeriodNotice:
    """An allocation period of an activity the household's children are enrolled in."""

    period: BookingPeriod
    state: str
    children: list[Child]

    @property
    def close_text(self) -> str:
        return format_moment(self.period.wishes_close_at)

    @property
    def open_text(self) -> str:
        return format_moment(self.period.wishes_open_at)

    @property
    def result_text(self) -> str:
        return format_moment(self.period.opens_at)

    @property
    def decline_until(self) -> datetime.datetime | None:
        published = self.period.allocation_published_at
        return published and published + datetime.timedelta(days=self.period.decline_days)

    @property
    def decline_text(self) -> str:
        return format_moment(self.decline_until) if self.decline_until else ""

    def can_decline(self, now) -> bool:
        return self.decline_until is not None and now < self.decline_until


def household_periods(family: Family, children, now) -> list[PeriodNotice]:
    """The allocation periods whose days are not all past, of the activities the household's
    children are validly enrolled in: where to wish, or where to read the result. One query,
    two when the commune has such periods."""
    today = now.date()
    periods = list(BookingPeriod.objects.filter(
        mode=BookingPeriod.Mode.ALLOCATION, last_day__gte=today).select_related("activity")
        .order_by("wishes_close_at", "pk"))
    by_pk = {child.pk: child for child in children}
    enrolled: dict[int, list[Child]] = {}
    if periods and by_pk:
        for enrolment in queries.enrolments_read(list(by_pk), {p.activity_id for p in periods}):
            enrolled.setdefault(enrolment.activity_id, []).append(by_pk[enrolment.child_id])
    return [PeriodNotice(p, period_state(p, now), enrolled[p.activity_id]) for p in periods
            if p.activity_id in enrolled]


def allocation_period(period_id) -> BookingPeriod | None:
    """The period with its activity, if it is in allocation mode."""
    period = queries.period_with_activity(period_id)
    return period if period is not None and period.allocates else None


@dataclass
class WishChoice:
    slot: Slot
    wished: bool = False
    rank: int | None = None


@dataclass
class WishDay:
    date: datetime.date
    choices: list[WishChoice] = field(default_factory=list)


@dataclass
class ChildWishes:
    """One child's days of the period he may wish for, with his current wishes; or why he
    cannot wish (file, enrolment)."""

    child: Child
    days: list[WishDay] = field(default_factory=list)
    refusal: str = ""

    @property
    def wished(self) -> int:
        return sum(choice.wished for day in self.days for choice in day.choices)


def wish_form(family: Family, children, period: BookingPeriod) -> list[ChildWishes]:
    """For each child of the household, the period's days (each unit) he may wish for at his
    enrolment site and in his age group, his wishes ticked; closed days left out."""
    children = list(children)
    year = period.activity.school_year
    refused = file_refusals([(child, year) for child in children])
    enrolments = queries.validated_enrolments_of(children, [period.activity_id])
    slots = list(Slot.objects.filter(
        activity_id=period.activity_id, date__range=(period.first_day, period.last_day),
        closed=False).select_related("activity", "unit", "site", "age_group")
        .order_by("date", "unit__position", "pk"))
    wishes = {(w.child_id, w.slot_id): w.rank for w in Wish.objects.filter(
        period=period, child__in=[c.pk for c in children])}
    found = []
    for child in children:
        entry = ChildWishes(child)
        found.append(entry)
        refusal = refused.get((child.pk, year.pk))
        if refusal is not None:
            entry.refusal = refusal.messages[0]
            continue
        own = enrolments[child.pk]
        if period.activity_id not in own:
            entry.refusal = eligibility_refusal(child, slots[0], own) if slots else ""
            entry.refusal = entry.refusal or _("Pas de jour à demander dans cette période.")
            continue
        days: dict[datetime.date, WishDay] = {}
        for slot in slots:
            if eligibility_refusal(child, slot, own):
                continue
            day = days.setdefault(slot.date, WishDay(slot.date))
            key = (child.pk, slot.pk)
            day.choices.append(WishChoice(slot, key in wishes, wishes.get(key)))
        entry.days = list(days.values())
        if not entry.days:
            entry.refusal = _("Pas de jour à demander dans cette période.")
    return found


# --- after publication ------------------------------------------------------------------------

GRANTED, WAITING, NOT_GRANTED, DECLINED = "granted", "waiting", "not_granted", "declined"
TONES = {GRANTED: "ok", WAITING: "wait", NOT_GRANTED: "ko", DECLINED: "neutral"}


@dataclass
class ResultLine:
    line: allocation_queries.OutcomeLine
    state: str
    words: str
    detail: str = ""

    @property
    def entry(self) -> AllocationEntry:
        return self.line.entry

    @property
    def tone(self) -> str:
        return TONES[self.state]


def result_lines(family: Family, period: BookingPeriod, now) -> list[ResultLine]:
    """The household's published outcome in words: granted, waiting (with today's rank), or
    not granted (with the reason when the wish was left out), per child and day."""
    found = []
    for line in allocation_queries.household_outcome(family, period, now):
        entry, reservation = line.entry, line.reservation
        state = reservation.state if reservation is not None else None
        if entry.declined_at is not None:
            found.append(ResultLine(line, DECLINED, _("vous avez renoncé à ce jour")))
        elif state == Reservation.State.CONFIRMED:
            detail = "" if entry.outcome == AllocationEntry.Outcome.GRANTED else _(
                "Une place s'est libérée : ce jour est passé de la liste d'attente à réservé.")
            found.append(ResultLine(line, GRANTED, _("attribué"), detail))
        elif state == Reservation.State.WAITING:
            found.append(ResultLine(line, WAITING, waiting_words(line.waiting_rank) + " "
                                    + _("aujourd'hui")))
        else:
            found.append(ResultLine(line, NOT_GRANTED, _("non attribué"),
                                    entry.excluded_reason))
    return found


def by_child(lines: list[ResultLine]) -> list[tuple[Child, list[ResultLine]]]:
    grouped: dict[int, tuple[Child, list]] = {}
    for line in lines:
        grouped.setdefault(line.entry.child_id, (line.entry.child, []))[1].append(line)
    return list(grouped.values())


def outcome_of(family: Family, period: BookingPeriod, child_id, slot_id, now):
    """The household's outcome line for this child and day, or None (not its own)."""
    return next((line for line in allocation_queries.household_outcome(family, period, now)
                 if line.entry.child_id == child_id and line.entry.slot_id == slot_id), None)
