"""The parent calendar's read side: for one child and a range of days, each slot he may book
and its state in words.

States come from the rules booking applies too (reservations/rules.py), so that the page
and the server always say the same thing. The number of queries is fixed, whatever the number
of days, units and activities; the reads are in reservations/queries.py."""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache

from django.core.exceptions import ValidationError
from django.urls import get_script_prefix, reverse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from familles.models import Child
from ground import french
from ground.calendar import month_end
from inscriptions.models import Activity, ActivityUnit, AnnualFile, Enrolment, SchoolYear
from inscriptions.services import FileNotValidated, file_refusal

from . import queries
from .deadlines import (
    WEEKDAYS,
    deadline_for,
    deadline_sentence,
    describe,
    format_date,
    format_day,
    format_moment,
    justification_deadline,
    justification_limit_text,
    local_zone,
)
from .models import ACTIVE_STATES as ACTIVE
from .models import AbsenceJustification, BookingPeriod, Reservation, Slot
from .rules import eligibility_refusal, hours_text, overlapping, period_for, time_refusal

# How each state is shown: the words say it, the colour only repeats it.
TONES = {
    "booked": "ok", "justified": "ok", "available": "ok",
    "waiting": "wait", "justifying": "wait", "full": "wait", "not_open": "neutral",
    "closed": "ko", "late": "neutral", "cancelled": "neutral", "justification_refused": "ko",
    "overlap": "neutral",
}


@dataclass
class Row:
    """One unit of one day for the child: its state, and what the parent can do."""

    slot: Slot
    state: str
    words: str
    detail: str = ""
    reservation: Reservation | None = None
    can_book: bool = False
    can_join: bool = False  # full: booking puts the child on the waiting list
    can_cancel: bool = False
    can_justify: bool = False  # booked, past the deadline, within the 48 h after the day
    label: str = ""  # « unit, day »: ends each button's name for screen readers

    @property
    def tone(self) -> str:
        return TONES[self.state]

    @property
    def justify_url(self) -> str:
        return reverse("reservations:justify", args=[self.reservation.pk])


@dataclass
class Day:
    """The rows of one activity on one date, with the deadline that governs them: said once
    for the day, never again under each unit (issue 23: a phone then reads a month in a few
    screens)."""

    activity: Activity
    date: date
    deadline: datetime
    endpoints: "Endpoints"
    passed: bool = False  # its deadline has passed
    past: bool = False  # before today: folded among « Jours passés »
    rows: list[Row] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)  # (tone, text)

    # Each is read several times per day by the template: computed once.
    @cached_property
    def dom_id(self) -> str:
        return f"jour-{self.activity.pk}-{self.date:%Y%m%d}"

    @cached_property
    def short_label(self) -> str:
        return format_date(self.date, "l j F")

    @cached_property
    def heading(self) -> str:
        # The month and its year are the page's heading.
        return capfirst(self.short_label)

    @cached_property
    def can_justify(self) -> bool:
        return any(row.can_justify for row in self.rows)

    @property
    def deadline_hidden(self) -> str:
        """Said to screen readers before `deadline_text` when it is short."""
        return "" if self.passed or self.past else self.words["deadline"]

    @cached_property
    def deadline_text(self) -> str:
        """Until when the day can be booked or cancelled; once passed, until when an absence
        can be justified, if one can; nothing more for a day gone by."""
        if self.can_justify:
            return _("Hors délai pour annuler : vous pouvez justifier l'absence jusqu'au "
                     "%(moment)s.") % {"moment": justification_limit_text(self.date)}
        if self.past:
            return ""
        return deadline_sentence(self.deadline, self.passed)

    @property
    def book_url(self) -> str:
        return self.endpoints.book

    @cached_property
    def words(self) -> dict[str, str]:
        return button_words(get_language())

    @property
    def cancel_url(self) -> str:
        return self.endpoints.cancel


@lru_cache(maxsize=16)
def button_words(language: str) -> dict[str, str]:
    """The rows' buttons' words, translated once per language rather than once per row (a
    month shows some forty rows)."""
    return {"book": _("Réserver"), "join": _("Rejoindre la liste d'attente"),
            "choose": _("choisir"), "cancel": _("Annuler"),
            "leave": _("Quitter la liste d'attente"), "justify": _("Justifier une absence"),
            "deadline": _("Réserver ou annuler")}


@lru_cache(maxsize=16)
def state_words(language: str) -> dict[str, str]:
    """The rows' states in words, translated once per language rather than once per row."""
    return {"booked": _("réservé"), "not_open": _("pas encore ouvert"), "late": _("hors délai"),
            "available": _("disponible"),
            "full": _("complet — rejoindre la liste d'attente"), "cancelled": _("annulé"),
            "justified": _("absence justifiée"),
            "justification_refused": _("justification refusée"),
            "justifying": _("justification en cours"), "overlap": _("indisponible")}


@dataclass(frozen=True)
class Endpoints:
    """The forms' addresses, reversed once for all the days of a page."""

    book: str
    cancel: str
    book_period: str

    @classmethod
    def reverse(cls) -> "Endpoints":
        return _endpoints(get_script_prefix())


@lru_cache(maxsize=4)
def _endpoints(_prefix: str) -> Endpoints:
    """Reversed once per script prefix (the URLs never change while the server runs)."""
    return Endpoints(book=reverse("reservations:book"), cancel=reverse("reservations:cancel"),
                     book_period=reverse("reservations:book_period"))


@dataclass
class PeriodChoice:
    """A booking period offered as « réserver tous les mercredis de la période »."""

    period: BookingPeriod
    weekdays: list[tuple[int, str]]
    units: list
    opening: str = ""  # "" once open; otherwise when it opens


@dataclass
class ActivityMonth:
    enrolment: Enrolment
    days: list[Day] = field(default_factory=list)
    periods: list[PeriodChoice] = field(default_factory=list)
    # The brothers and sisters enrolled in the activity too: « aussi pour … » names them.
    siblings: list[Child] = field(default_factory=list)

    @property
    def activity(self) -> Activity:
        return self.enrolment.activity

    @property
    def rule_text(self) -> str:
        return describe(getattr(self.activity, "deadline_rule", None))

    @cached_property
    def folded(self) -> list[Day]:
        """The days gone by, folded under « Jours passés »; but not one whose absence can
        still be justified: it stays in sight, with its « Justifier une absence »."""
        return [day for day in self.days if day.past and not day.can_justify]

    @cached_property
    def shown(self) -> list[Day]:
        return [day for day in self.days if not day.past or day.can_justify]


@dataclass
class ChildMonth:
    child: Child
    first: date
    year: SchoolYear | None = None
    file_error: FileNotValidated | None = None
    activities: list[ActivityMonth] = field(default_factory=list)
    without_reservation: list[Enrolment] = field(default_factory=list)
    others: list[Child] = field(default_factory=list)  # his brothers and sisters

    @property
    def siblings(self) -> list[Child]:
        """The brothers and sisters enrolled in at least one of the month's activities: whom
        the bulk form may book the same days for."""
        named = {c.pk for block in self.activities for c in block.siblings}
        return [c for c in self.others if c.pk in named]

    @property
    def last(self) -> date:
        return month_end(self.first)


def first_month_with_slots(child: Child, today: date) -> date | None:
    """The month of the child's next bookable day (where the calendar opens by default)."""
    found = queries.next_bookable_day(child.pk, today)
    return found.replace(day=1) if found else None


def child_month(child: Child, first: date, now: datetime, others=()) -> ChildMonth:
    """Everything the calendar shows for a child and a month; `others`: his brothers and
    sisters, offered in « aussi pour … » where they are enrolled."""
    month = ChildMonth(child=child, first=first, others=list(others))
    # The year, the state of the child's file for it and his enrolments (with the brothers
    # and sisters enrolled in each activity) in one query; the gate itself is the one
    # `require_validated_file` applies.
    month.year, enrolments = queries.year_and_enrolments(
        child.pk, first, month.last, [c.pk for c in month.others])
    if month.year is None:
        return month
    state = month.year.file_state
    month.file_error = file_refusal(child, month.year,
                                    None if state is None else AnnualFile(state=state))
    if month.file_error is not None:
        return month
    month.without_reservation = [e for e in enrolments if not e.activity.needs_reservation]
    booked = {e.activity_id: e for e in enrolments if e.activity.needs_reservation}
    periods = queries.periods_of(booked.keys())
    # Read once for the period forms and the slots (which then need no join to their unit).
    units: dict[int, list[ActivityUnit]] = {activity_id: [] for activity_id in booked}
    for unit in queries.units_of(booked.keys()):
        units[unit.activity_id].append(unit)
    found, held = _month_slots(child, booked, first, month.last, units)
    days = _days(child, booked, periods, now, found, held)
    today = now.astimezone(local_zone()).date()
    for enrolment in booked.values():
        block = ActivityMonth(enrolment=enrolment)
        block.days = [day for day in days if day.activity.pk == enrolment.activity_id]
        block.periods = [
            _period_choice(period, enrolment.activity, units[enrolment.activity_id], now)
            for period in periods
            if period.activity_id == enrolment.activity_id and period.last_day >= max(first, today)
            and period.first_day <= month.last
            and not (period.closes_at and now >= period.closes_at)
        ]
        enrolled = set(enrolment.sibling_ids)  # « aussi pour … »: enrolled in it too
        block.siblings = [c for c in month.others if c.pk in enrolled]
        month.activities.append(block)
    return month


def child_days(child: Child, slot_ids, now: datetime, *, read: "PeriodDays | None" = None,
               periods=None) -> list[Day]:
    """The days (activity and date) the given slots fall on, as the calendar shows them.
    `read`: the child's period days as booking read them, holding these slots (then neither
    they nor his enrolment are read again); `periods`: every booking period of their
    activities, as booking read them."""
    if read is not None:
        wanted = set(slot_ids)
        pairs = {(slot.activity_id, slot.date) for slot in read.slots if slot.pk in wanted}
        enrolments = {read.enrolment.activity_id: read.enrolment}
    else:
        pairs = set(queries.days_of_slots(slot_ids))
        enrolments = {e.activity_id: e for e in queries.enrolments_read(
            [child.pk], list({a for a, _d in pairs})) if e.activity.needs_reservation}
    pairs = sorted((a, d) for a, d in pairs if a in enrolments)
    if not pairs:
        return []
    if periods is None:
        periods = queries.periods_of(enrolments.keys())
    found = queries.slot_rows_on(child.pk, _sites(enrolments), pairs)
    slots = [row.slot for row in found]
    # These days' other activities are not read here: what the child holds in them at the
    # same time is, when a unit has hours (rules.overlap_refusal).
    elsewhere = queries.held_on(child.pk, {d for _a, d in pairs}) if any(
        slot.unit.has_hours for slot in slots) else []
    return _days(child, enrolments, periods, now, slots, _held(found), elsewhere)


def _sites(enrolments: dict) -> list[tuple[int, int]]:
    """(activity id, site id) of each enrolment: where the child's slots are."""
    return sorted((e.activity_id, e.site_id) for e in enrolments.values())


def _month_slots(child, enrolments: dict, first: date, last: date, units: dict):
    """The month's slots at the child's sites, each with its unit (read already), in the
    calendar's order; and the child's reservations on them with their justifications, by
    slot id: one statement."""
    by_pk = {unit.pk: unit for some in units.values() for unit in some}
    rows = queries.month_slot_rows(child.pk, _sites(enrolments), first, last)
    for row in rows:
        if row.slot.unit_id in by_pk:
            row.slot.unit = by_pk[row.slot.unit_id]
    found = sorted((row.slot for row in rows), key=lambda slot: (
        slot.date, slot.activity_id, slot.unit.position, slot.unit_id))
    return found, _held(rows)


def _held(rows) -> dict:
    """The child's reservations with their justifications, by slot id, from slot rows."""
    return {row.slot.pk: (row.reservation, row.justification) for row in rows
            if row.reservation is not None}


def _days(child, enrolments: dict, periods, now, found: list[Slot], held: dict,
          elsewhere=()) -> list[Day]:
    """`enrolments`: by activity id, with their activity (and its deadline rule) and site;
    `found`: the slots at their sites, in the calendar's order; `held`: the child's
    reservations on them with their justifications, by slot id; `elsewhere`: (slot, state)
    of what he holds on these days outside `found`, if read."""
    slots = []
    for slot in found:
        # The enrolment already holds the activity and the site: no join, no copies.
        enrolment = enrolments[slot.activity_id]
        slot.activity = enrolment.activity
        slot.site = enrolment.site
        if not eligibility_refusal(child, slot, enrolments):
            slots.append(slot)
    # What the child holds each day, from the rows read already: a unit at the same time is
    # not offered (rules.overlap_refusal), with no query more.
    holding: dict[date, list] = {}
    for slot in found:
        reservation = held.get(slot.pk, (None, None))[0]
        if reservation is not None and reservation.state in ACTIVE:
            holding.setdefault(slot.date, []).append((slot, reservation.state))
    seen = {slot.pk for slot in found}
    for slot, state in elsewhere:
        if slot.pk not in seen:
            holding.setdefault(slot.date, []).append((slot, state))
    endpoints = Endpoints.reverse()
    states = state_words(get_language())
    today = now.astimezone(local_zone()).date()
    days: dict[tuple, Day] = {}
    for slot in slots:
        key = (slot.activity_id, slot.date)
        day = days.get(key)
        if day is None:
            deadline = deadline_for(getattr(slot.activity, "deadline_rule", None), slot.date)
            day = days[key] = Day(activity=slot.activity, date=slot.date, deadline=deadline,
                                  endpoints=endpoints, passed=now >= deadline,
                                  past=slot.date < today)
        reservation, justification = held.get(slot.pk, (None, None))
        row = _row(slot, reservation, justification, period_for(slot, periods), now,
                   day.deadline, states, holding.get(slot.date, ()), child)
        row.label = f"{slot.unit.label}, {day.short_label}"
        day.rows.append(row)
    return list(days.values())


def _row(slot: Slot, reservation, justification, period, now, deadline, words, holding,
         child) -> Row:
    """`words`: `state_words` in the active language; `holding`: (slot, state) of what the
    child holds that day."""
    if slot.closed:
        return Row(slot, "closed", _("fermé : %(reason)s") % {
            "reason": slot.closed_reason or _("accueil fermé")}, reservation=reservation)
    if justification is not None:
        return _justified_row(slot, reservation, justification, words)
    active = reservation is not None and reservation.state != Reservation.State.CANCELLED
    # Past its deadline, the day says once until when an absence can be justified.
    if active:
        can_cancel = now < deadline
        if reservation.state == Reservation.State.CONFIRMED:
            # The same bound as the justification service (absences.justification_refusal).
            return Row(slot, "booked", words["booked"], reservation=reservation,
                       can_cancel=can_cancel, can_justify=not can_cancel
                       and now <= justification_deadline(slot.date))
        return Row(slot, "waiting", waiting_words(waiting_rank(reservation)),
                   reservation=reservation, can_cancel=can_cancel)
    refusal = time_refusal(slot, period, now)
    if refusal:
        if period is None:
            row = Row(slot, "not_open", words["not_open"], refusal)
        elif now < period.opens_at:  # the words say when it opens
            row = Row(slot, "not_open", _("pas encore ouvert (ouvre le %(moment)s)") % {
                "moment": format_moment(period.opens_at)})
        elif now >= deadline:  # the day says its deadline
            row = Row(slot, "late", words["late"])
        else:  # the period is closed
            row = Row(slot, "late", words["late"], refusal)
    elif holding and (overlap := overlapping(slot, holding)):
        row = Row(slot, "overlap", words["overlap"], overlap_words(slot, *overlap))
    elif slot.free_places > 0:
        row = Row(slot, "available", words["available"], can_book=True)
    else:
        row = Row(slot, "full", words["full"], can_join=True)
    if reservation is not None:  # cancelled: say so, and what can be done now
        row.detail = row.detail or str(row.words)
        row.state, row.words, row.reservation = "cancelled", words["cancelled"], reservation
    return row


def overlap_words(slot: Slot, other: Slot, state: str) -> str:
    """Why a unit is not offered, shortly: the day and the child are on screen already; the
    other activity is named when it is not this one."""
    said = [other.activity.name] if other.activity_id != slot.activity_id else []
    if hours := hours_text(other.unit):
        said.append(hours)
    return _("chevauche %(unit)s%(said)s, %(state)s") % {
        "unit": other.unit.label, "said": f" ({', '.join(said)})" if said else "",
        "state": _("déjà en liste d'attente") if state == "waiting" else _("déjà réservé")}


def _justified_row(slot, reservation, justification, words) -> Row:
    state = justification.state
    if state == AbsenceJustification.State.ACCEPTED:
        return Row(slot, "justified", words["justified"], reservation=reservation)
    if state == AbsenceJustification.State.REFUSED:
        return Row(slot, "justification_refused", words["justification_refused"],
                   justification.staff_comment, reservation)
    return Row(slot, "justifying", words["justifying"], reservation=reservation)


def _weekdays(activity: Activity) -> list[int]:
    if activity.days == Activity.Days.WEDNESDAYS:
        return [2]
    if activity.days == Activity.Days.SCHOOL_DAYS:
        return sorted(activity.weekdays)
    return [0, 1, 2, 3, 4]


def _period_choice(period, activity, units, now) -> PeriodChoice:
    choice = PeriodChoice(period=period, units=units,
                          weekdays=[(d, str(WEEKDAYS[d])) for d in _weekdays(activity)])
    if now < period.opens_at:
        choice.opening = format_moment(period.opens_at)
    return choice


# --- what the booking endpoints need to find -----------------------------------------------

def corresponding_slots(child: Child, slot_ids) -> tuple[list[int], list[str]]:
    """The same days and units for another child, at his own enrolment site and in his age
    group: (the slot ids, why some days have no match)."""
    slots = list(Slot.objects.filter(pk__in=slot_ids).select_related("activity", "unit"))
    enrolments = queries.validated_enrolments_of([child], {s.activity_id for s in slots})[
        child.pk]
    candidates = Slot.objects.filter(
        activity_id__in=enrolments, date__in={slot.date for slot in slots},
        unit_id__in={slot.unit_id for slot in slots},
    ).select_related("activity", "age_group")
    index = {(c.activity_id, c.unit_id, c.date): c.pk for c in candidates
             if not eligibility_refusal(child, c, enrolments)}
    ids, missing = [], []
    for slot in slots:
        pk = index.get((slot.activity_id, slot.unit_id, slot.date))
        if pk is not None:
            ids.append(pk)
        elif slot.activity_id not in enrolments:
            missing.append(_("%(child)s n'est pas %(enrolled)s à %(activity)s.") % {
                "child": child.first_name, "activity": slot.activity.name,
                "enrolled": french.agree(child.sex, "inscrit")})
        else:
            missing.append(_("Pas de créneau « %(unit)s » le %(day)s pour %(child)s.") % {
                "unit": slot.unit.label, "day": format_day(slot.date),
                "child": child.first_name})
    return ids, list(dict.fromkeys(missing))


@dataclass
class PeriodDays:
    """One child's days of a period still to come, read as booking needs them, with the
    enrolment they come from (its activity, deadline rule and site read too); or why he has
    none."""

    enrolment: Enrolment | None
    slots: list[Slot] = field(default_factory=list)
    refusal: ValidationError | None = None


def period_days_for(children, period: BookingPeriod, unit, weekday: int | None,
                    today: date) -> dict[int, PeriodDays]:
    """Every day of a period still to come, for one unit (and one weekday, if given), for
    each of these brothers and sisters at his enrolment site and in his age group (its slots,
    read as booking needs them), or why he has none; in two queries, whatever their number."""
    enrolments = {e.child_id: e for e in queries.enrolments_read(
        [child.pk for child in children], [period.activity_id])}
    activity = next((e.activity for e in enrolments.values()), None)  # with year and rule
    slots = queries.period_slots(
        activity, unit, {e.site_id: e.site for e in enrolments.values()},
        max(period.first_day, today), period.last_day,
        None if weekday is None else weekday + 1)
    days: dict[int, PeriodDays] = {}
    for child in children:
        enrolment = enrolments.get(child.pk)
        if enrolment is None:
            days[child.pk] = PeriodDays(None, refusal=ValidationError(
                _("%(child)s n'est pas %(enrolled)s à %(activity)s.") % {
                    "child": child.first_name, "activity": period.activity.name,
                    "enrolled": french.agree(child.sex, "inscrit")}))
            continue
        own = {period.activity_id: enrolment}
        days[child.pk] = PeriodDays(enrolment, [
            slot for slot in slots if slot.site_id == enrolment.site_id
            and not eligibility_refusal(child, slot, own)])
    return days


def waiting_rank(reservation: Reservation) -> int:
    return reservation.waiting_ticket - reservation.exits_ahead


def waiting_words(rank: int) -> str:
    return _("en liste d'attente (rang %(rank)s)") % {
        "rank": number_format(rank, force_grouping=True)}
