"""Reads of the staff's booking grid (the front desk, issue 25): for one activity, one site
and one week or month, the children whose enrolment there is validated as rows (filtered by
age group, age or school), each day's units as columns, and in each cell the child's state on
the slot that fits him (booked, waiting with its rank, the places left, present, absent,
justified). Each column carries its totals and whether the parents' limits are past there.

Eight queries whatever the number of children and days. No health data is read: of an
absence justification, only its state (its reason may be an illness)."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inscriptions.models import Activity, ActivityUnit, AnnualFile, Enrolment, Site

from . import queries
from .deadlines import format_date, slot_deadline
from .models import AbsenceJustification, AgeGroup, Attendance, Reservation, Slot, WaitingListExit
from .rules import past_parent_limits, period_for

WEEK, MONTH = "week", "month"


def span_of(start: date, span: str) -> tuple[date, date]:
    """The week (Monday to Sunday) or the calendar month holding `start`."""
    if span == MONTH:
        first = start.replace(day=1)
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    monday = start - timedelta(days=start.weekday())
    return monday, monday + timedelta(days=6)


def neighbours(first: date, span: str) -> tuple[date, date]:
    """The first day of the span before and of the span after."""
    if span == MONTH:
        before = (first - timedelta(days=1)).replace(day=1)
        after = first.replace(day=calendar.monthrange(first.year, first.month)[1]) + timedelta(
            days=1)
        return before, after
    return first - timedelta(days=7), first + timedelta(days=7)


@dataclass
class Filters:
    age_group: AgeGroup | None = None
    age: int | None = None
    school: str = ""

    def keep(self, age: int, school: str) -> bool:
        group = self.age_group
        return ((group is None or group.min_age <= age <= group.max_age)
                and (self.age is None or age == self.age)
                and (not self.school or school == self.school))


@dataclass
class Column:
    """One unit of one day: its slots (one per age group, or one for all)."""

    day: date
    unit: ActivityUnit
    slots: list[Slot] = field(default_factory=list)
    past_limits: bool = False  # parents can no longer book or cancel: staff give a reason
    waiting: int = 0

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}:{self.unit.pk}"

    @property
    def open_slots(self) -> list[Slot]:
        return [slot for slot in self.slots if not slot.closed]

    @property
    def closed(self) -> bool:
        return not self.open_slots

    @property
    def confirmed(self) -> int:
        return sum(slot.booked for slot in self.open_slots)

    @property
    def capacity(self) -> int:
        return sum(slot.capacity for slot in self.open_slots)

    @property
    def by_group(self) -> list[tuple[str, int, int]]:
        """(age group, booked, places) when the day counts places by age group."""
        if len(self.slots) < 2:
            return []
        return [(slot.age_group.label if slot.age_group else "", slot.booked, slot.capacity)
                for slot in self.open_slots]

    @property
    def label(self) -> str:
        return f"{format_date(self.day, 'l j F')}, {self.unit.label}"

    def slot_for(self, age: int) -> Slot | None:
        for slot in self.slots:
            group = slot.age_group
            if group is None or group.min_age <= age <= group.max_age:
                return slot
        return None


@dataclass
class Cell:
    child_id: int
    column: Column
    slot: Slot | None
    reservation: Reservation | None = None
    attendance: dict | None = None  # status and unexpected, as recorded

    @property
    def value(self) -> str:
        """What the cell's checkbox sends: "child id:slot id"."""
        return f"{self.child_id}:{self.slot.pk}" if self.slot else ""

    @property
    def selectable(self) -> bool:
        return self.slot is not None and not self.slot.closed

    @property
    def state(self) -> str:
        """One word for the page's styles and the tests: none, closed, free, full, booked,
        waiting, present, absent, justified, unexpected."""
        if self.slot is None:
            return "none"
        reservation, attendance = self.reservation, self.attendance
        if attendance is not None:
            if attendance["status"] == Attendance.Status.PRESENT:
                return "unexpected" if reservation is None else "present"
            return "justified" if self.justified else "absent"
        if self.slot.closed:
            return "closed"
        if reservation is not None:
            if reservation.state == Reservation.State.WAITING:
                return "waiting"
            return "justified" if self.justified else "booked"
        return "free" if self.slot.free_places else "full"

    @property
    def justified(self) -> bool:
        """An absence justified, or being examined (a refused one leaves the day as it was)."""
        return bool(self.reservation) and self.reservation.justification_state in (
            AbsenceJustification.State.SUBMITTED, AbsenceJustification.State.ACCEPTED)

    @property
    def rank(self) -> int | None:
        reservation = self.reservation
        if reservation is None or reservation.state != Reservation.State.WAITING:
            return None
        return reservation.waiting_ticket - reservation.exits_ahead

    @property
    def text(self) -> str:
        state = self.state
        if state == "free":
            free = self.slot.free_places
            return ngettext("libre (%(n)s place)", "libre (%(n)s places)", free) % {"n": free}
        if state == "waiting":
            return _("attente n° %(rank)s") % {"rank": self.rank}
        if state == "justified":
            word = _justification_word(self.reservation.justification_state)
            return f"{_('absent') if self.attendance else _('absence')}, {word}"
        return _state_word(state)


def _state_word(state: str) -> str:
    """The state's word in the active language (looked up when the page is written)."""
    return {"none": "—", "closed": _("fermé"), "full": _("complet"), "booked": _("réservé"),
            "present": _("présent"), "absent": _("absent"),
            "unexpected": _("présent (imprévu)")}[state]


def _justification_word(state: str) -> str:
    """An absence justification's state in words (never its reason: health data)."""
    return {AbsenceJustification.State.SUBMITTED: _("justification en cours"),
            AbsenceJustification.State.ACCEPTED: _("justifiée")}[state]


@dataclass
class Row:
    child: object
    age: int
    school: str
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Grid:
    activity: Activity
    site: Site
    first: date
    last: date
    span: str
    columns: list[Column]
    rows: list[Row]
    age_groups: list[AgeGroup]
    schools: list[str]
    ages: list[int]

    @property
    def days(self) -> list[tuple[date, list[Column]]]:
        """The columns by day, for the header's first line."""
        days: dict[date, list[Column]] = {}
        for column in self.columns:
            days.setdefault(column.day, []).append(column)
        return list(days.items())

    def cells(self) -> dict[tuple[int, int], Cell]:
        """{(child id, slot id): cell} for every cell staff may select."""
        return {(row.child.pk, cell.slot.pk): cell for row in self.rows for cell in row.cells
                if cell.selectable}

    def cells_of_row(self, child_id: int) -> list[tuple[int, int]]:
        return [(row.child.pk, cell.slot.pk) for row in self.rows if row.child.pk == child_id
                for cell in row.cells if cell.selectable]

    def cells_of_column(self, key: str) -> list[tuple[int, int]]:
        return [(row.child.pk, cell.slot.pk) for row in self.rows for cell in row.cells
                if cell.selectable and cell.column.key == key]


def read_grid(activity: Activity, site: Site, first: date, last: date, span: str,
              filters: Filters | None = None, *, now=None) -> Grid:
    """The grid of `activity` (read with its school year and deadline rule) at `site` from
    `first` to `last`."""
    filters = filters or Filters()
    now = now or timezone.now()
    units = {unit.pk: unit for unit in ActivityUnit.objects.filter(activity=activity)
             .order_by("position", "pk")}
    groups = {group.pk: group for group in AgeGroup.objects.filter(activity=activity)
              .order_by("min_age", "pk")}
    columns = _columns(activity, site, first, last, units, groups, now)
    slot_ids = [slot.pk for column in columns for slot in column.slots]
    held = _held(slot_ids)
    for column in columns:
        column.waiting = sum(1 for slot in column.slots for r in held.get(slot.pk, {}).values()
                             if r.state == Reservation.State.WAITING)
    marks = _attendances(activity, site, first, last)
    everyone = _enrolled(activity, site, first)
    rows = []
    for child, age, school in everyone:
        if not filters.keep(age, school):
            continue
        row = Row(child, age, school)
        for column in columns:
            slot = column.slot_for(child.age_on(column.day))
            reservation = held.get(slot.pk, {}).get(child.pk) if slot else None
            mark = marks.get((child.pk, column.unit.pk, column.day))
            row.cells.append(Cell(child.pk, column, slot, reservation, mark))
        rows.append(row)
    return Grid(activity=activity, site=site, first=first, last=last, span=span,
                columns=columns, rows=rows, age_groups=list(groups.values()),
                schools=sorted({school for _c, _a, school in everyone if school}),
                ages=sorted({age for _c, age, _s in everyone}))


def _columns(activity, site, first, last, units, groups, now) -> list[Column]:
    slots = Slot.objects.filter(activity=activity, site=site, date__range=(first, last)
                                ).order_by("date", "pk")
    periods = queries.periods_of([activity.pk])
    columns: dict[tuple[date, int], Column] = {}
    for slot in slots:
        slot.activity, slot.site = activity, site
        slot.unit = units[slot.unit_id]
        slot.age_group = groups.get(slot.age_group_id)
        column = columns.get((slot.date, slot.unit_id))
        if column is None:
            column = columns[slot.date, slot.unit_id] = Column(slot.date, slot.unit)
            column.past_limits = past_parent_limits(slot, period_for(slot, periods), now)
            column.deadline = slot_deadline(slot)
        column.slots.append(slot)
    order = list(units)
    for column in columns.values():
        column.slots.sort(key=lambda s: s.age_group.min_age if s.age_group else -1)
    return sorted(columns.values(), key=lambda c: (c.day, order.index(c.unit.pk)))


def _held(slot_ids) -> dict[int, dict[int, Reservation]]:
    """{slot id: {child id: his confirmed or waiting reservation}}, each with the state of
    its justification (`justification_state`, "" without one) and, for a waiting one, the
    tickets ahead that have left the list (`exits_ahead`)."""
    if not slot_ids:
        return {}
    exits = (WaitingListExit.objects.filter(slot_id=OuterRef("slot_id"),
                                            ticket__lt=OuterRef("waiting_ticket"))
             .order_by().values("slot_id").annotate(n=Count("pk")).values("n"))
    found: dict[int, dict[int, Reservation]] = {}
    reservations = (
        Reservation.objects.filter(slot_id__in=slot_ids, state__in=[
            Reservation.State.CONFIRMED, Reservation.State.WAITING])
        .annotate(exits_ahead=Coalesce(Subquery(exits, output_field=IntegerField()), 0),
                  justification_state=Coalesce(F("justification__state"), Value("")))
        .order_by())
    for reservation in reservations:
        found.setdefault(reservation.slot_id, {})[reservation.child_id] = reservation
    return found


def _attendances(activity, site, first, last) -> dict:
    """{(child id, unit id, day): {"status", "unexpected"}} recorded at the site."""
    rows = Attendance.objects.filter(activity=activity, site=site, date__range=(first, last)
                                     ).order_by().values("child_id", "unit_id", "date",
                                                         "status", "unexpected")
    return {(r["child_id"], r["unit_id"], r["date"]): r for r in rows}


def _enrolled(activity, site, first) -> list[tuple]:
    """(child, age on the first day, school) of each validated enrolment at the site, by
    name. The school is the one of the child's file for the year, or else his own."""
    file_school = AnnualFile.objects.filter(
        child_id=OuterRef("child_id"), school_year_id=activity.school_year_id).values("school")
    enrolments = (
        Enrolment.objects.filter(activity=activity, site=site,
                                 state=Enrolment.State.VALIDATED)
        .select_related("child")
        .annotate(file_school=NullIf(Subquery(file_school[:1]), Value("")))
        .order_by("child__last_name", "child__first_name", "child_id"))
    return [(e.child, e.child.age_on(first), e.file_school or e.child.school)
            for e in enrolments]
