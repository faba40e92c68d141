"""The reservations app's reads: what the calendar shows and what booking checks. Those of
every calendar and booking are hand-written statements (`ground.rows`: building and
compiling a queryset costs more CPU than running it, docs/performance.md); the others are
plain querysets (no default ordering: the models order by related fields, which would join
three or four tables for nothing)."""

from dataclasses import dataclass

from familles.models import Child
from ground import rows
from inscriptions.models import Activity, ActivityUnit, AnnualFile, Enrolment, SchoolYear, Site

from .models import (
    ACTIVE_STATES,
    AbsenceJustification,
    AgeGroup,
    BookingPeriod,
    DeadlineRule,
    Reservation,
    Slot,
    WaitingListExit,
)

# What booking reads with each slot (callers that already read the slots pass them in).
SLOT_RELATIONS = ("activity__school_year", "activity__deadline_rule", "unit", "site",
                  "age_group")

# A form may send any number as an id; PostgreSQL refuses one no bigint column can hold.
def next_bookable_day(child_id, today):
    """The date of the child's next slot in an activity he is enrolled in, or None: one
    statement."""
    sql = (f"SELECT s.date FROM {rows.table(Slot)} s "  # noqa: S608
           f"JOIN {rows.table(Activity)} a ON a.id = s.activity_id "
           f"JOIN {rows.table(Enrolment)} e ON e.activity_id = a.id "
           "WHERE e.child_id = %s AND e.state = %s AND a.needs_reservation = %s "
           "AND s.date >= %s ORDER BY s.date LIMIT 1")
    found = rows.fetch(sql, [child_id, Enrolment.State.VALIDATED.value, True, today])
    if not found:
        return None
    return rows.convert(Slot, "date", found[0][0])


def next_bookable_days(child_ids, today) -> dict[int, object]:
    """{child id: his next bookable day, or None when no day is open yet} for those of these
    children with a validated enrolment in an activity booked ahead (the others are absent):
    which child « Réservations » opens on. One statement."""
    child_ids = rows.row_ids(child_ids)
    if not child_ids:
        return {}
    sql = (f"SELECT e.child_id, MIN(s.date) FROM {rows.table(Enrolment)} e "  # noqa: S608
           f"JOIN {rows.table(Activity)} a ON a.id = e.activity_id "
           f"LEFT JOIN {rows.table(Slot)} s ON s.activity_id = a.id AND s.date >= %s "
           f"WHERE e.child_id IN ({rows.placeholders(child_ids)}) AND e.state = %s "
           "AND a.needs_reservation = %s GROUP BY e.child_id")
    found = rows.fetch(sql, [today, *child_ids, Enrolment.State.VALIDATED.value, True])
    return {child_id: day if day is None else rows.convert(Slot, "date", day)
            for child_id, day in found}


def year_and_enrolments(child_id, first, last, sibling_ids=()
                        ) -> tuple[SchoolYear | None, list[Enrolment]]:
    """The school year of the month, with the state of the child's file for it (`file_state`,
    None without a file), and the child's validated enrolments of that year as
    `enrolments_in_year` gives them: the calendar's first read, one statement. (The
    enrolments are read even when the file then closes the month: the gate is the caller's.)
    Each enrolment's `sibling_ids`: those of `sibling_ids` (his brothers and sisters)
    validated in the same activity, read by the same statement (one EXISTS column each), for
    « aussi pour … »."""
    year_columns = rows.select(SchoolYear, "y")
    sibling_ids = list(sibling_ids)
    sibling_columns = "".join(  # the table's own name; the ids are bound parameters
        f"EXISTS (SELECT 1 FROM {rows.table(Enrolment)} e2 WHERE e2.child_id = %s "  # noqa: S608
        "AND e2.activity_id = a.id AND e2.state = %s), " for _id in sibling_ids)
    validated = Enrolment.State.VALIDATED.value
    sql = (  # the models' own names; every value is a bound parameter
        f"WITH y AS (SELECT {year_columns}, (SELECT f.state FROM "  # noqa: S608
        f"{rows.table(AnnualFile)} f WHERE f.child_id = %s AND f.school_year_id = y.id "
        f"LIMIT 1) AS file_state FROM {rows.table(SchoolYear)} y WHERE y.start_date <= %s "
        "AND y.end_date >= %s ORDER BY y.start_date LIMIT 1) "
        f"SELECT {year_columns}, y.file_state, {sibling_columns}{rows.select(Enrolment, 'e')}, "
        f"{rows.select(Activity, 'a')}, {rows.select(DeadlineRule, 'r')}, "
        f"{rows.select(Site, 's')} FROM y LEFT JOIN ({rows.table(Enrolment)} e "
        f"JOIN {rows.table(Activity)} a ON a.id = e.activity_id "
        f"JOIN {rows.table(Site)} s ON s.id = e.site_id "
        f"LEFT JOIN {rows.table(DeadlineRule)} r ON r.activity_id = a.id) "
        "ON a.school_year_id = y.id AND e.child_id = %s AND e.state = %s "
        "ORDER BY a.kind, a.name")
    params = [child_id, last, first]
    for sibling_id in sibling_ids:
        params += [sibling_id, validated]
    found = rows.fetch(sql, [*params, child_id, validated])
    if not found:
        return None, []
    year_end = len(rows.columns(SchoolYear))
    year = rows.instance(SchoolYear, found[0][:year_end])
    year.file_state = found[0][year_end]
    enrolment_start = year_end + 1 + len(sibling_ids)
    enrolments = []
    for row in found:
        if row[enrolment_start] is None:  # no enrolment: the year's row alone
            continue
        enrolment, activity, rule, site = rows.instances(_YEAR_ENROLMENT_READ,
                                                         row[enrolment_start:])
        if rule is None:
            if activity.needs_reservation:  # "no rule": only the ORM can record it
                return year, _with_siblings(enrolments_in_year(child_id, year.pk),
                                            sibling_ids)
        else:
            activity.deadline_rule = rule
        activity.school_year = year
        enrolment.activity, enrolment.site = activity, site
        enrolment.sibling_ids = [sibling_id for sibling_id, enrolled in zip(
            sibling_ids, row[year_end + 1:enrolment_start], strict=True) if enrolled]
        enrolments.append(enrolment)
    return year, enrolments


def _with_siblings(enrolments: list[Enrolment], sibling_ids) -> list[Enrolment]:
    """The enrolments read by the ORM (an activity without a deadline rule, a rare case),
    each with its `sibling_ids` as `year_and_enrolments` gives them: one more statement."""
    pairs = enrolled_pairs(sibling_ids, [e.activity_id for e in enrolments])
    for enrolment in enrolments:
        enrolment.sibling_ids = [sibling_id for sibling_id in sibling_ids
                                 if (sibling_id, enrolment.activity_id) in pairs]
    return enrolments


def enrolments_in_year(child_id, year_id) -> list[Enrolment]:
    """The child's validated enrolments of the year, with activity, deadline rule and site."""
    return _enrolments(
        "e.child_id = %s AND a.school_year_id = %s", [child_id, year_id], "a.kind, a.name",
        lambda: Enrolment.objects.filter(
            child_id=child_id, activity__school_year_id=year_id).order_by(
            "activity__kind", "activity__name"))


_ENROLMENT_READ = (Enrolment, Activity, SchoolYear, DeadlineRule, Site)
_YEAR_ENROLMENT_READ = (Enrolment, Activity, DeadlineRule, Site)


def _enrolments(where: str, params: list, order: str, fallback) -> list[Enrolment]:
    """Validated enrolments (`where` on e, the enrolment, and a, its activity), each with its
    activity, the activity's school year and deadline rule, and the site. One hand-written
    statement when every activity booked by day has its deadline rule (given to the
    activity); otherwise `fallback`, a queryset of the same rows: only the ORM can record
    "no rule" on an activity, which the deadlines then read without asking the database
    again. (An activity without reservation has no deadline to read.) `fallback` is called
    only then: building a queryset costs more CPU than this whole read."""
    sql = (f"SELECT {rows.select(Enrolment, 'e')}, {rows.select(Activity, 'a')}, "  # noqa: S608
           f"{rows.select(SchoolYear, 'y')}, {rows.select(DeadlineRule, 'r')}, "
           f"{rows.select(Site, 's')} FROM {rows.table(Enrolment)} e "
           f"JOIN {rows.table(Activity)} a ON a.id = e.activity_id "
           f"JOIN {rows.table(SchoolYear)} y ON y.id = a.school_year_id "
           f"LEFT JOIN {rows.table(DeadlineRule)} r ON r.activity_id = a.id "
           f"JOIN {rows.table(Site)} s ON s.id = e.site_id "
           f"WHERE {where} AND e.state = %s" + (f" ORDER BY {order}" if order else ""))
    enrolments = []
    for row in rows.fetch(sql, [*params, Enrolment.State.VALIDATED.value]):
        enrolment, activity, year, rule, site = rows.instances(_ENROLMENT_READ, row)
        if rule is None:
            if activity.needs_reservation:
                return list(fallback().filter(state=Enrolment.State.VALIDATED).select_related(
                    "activity__school_year", "activity__deadline_rule", "site"))
        else:
            activity.deadline_rule = rule
        activity.school_year = year
        enrolment.activity, enrolment.site = activity, site
        enrolments.append(enrolment)
    return enrolments


def enrolments_read(child_ids, activity_ids) -> list[Enrolment]:
    """The children's validated enrolments in these activities, with the activity (its
    school year and deadline rule) and the site: what booking and the calendar need of
    them."""
    child_ids, activity_ids = rows.row_ids(child_ids), rows.row_ids(activity_ids)
    if not child_ids or not activity_ids:
        return []
    return _enrolments(
        f"e.child_id IN ({rows.placeholders(child_ids)}) "
        f"AND e.activity_id IN ({rows.placeholders(activity_ids)})",
        [*child_ids, *activity_ids], "",
        lambda: Enrolment.objects.filter(child_id__in=child_ids,
                                         activity_id__in=activity_ids).order_by())


def enrolled_pairs(child_ids, activity_ids) -> set[tuple[int, int]]:
    """(child id, activity id) of these children's validated enrolments in these activities:
    whom « aussi pour … » may name on the calendar. One statement."""
    child_ids, activity_ids = rows.row_ids(child_ids), rows.row_ids(activity_ids)
    if not child_ids or not activity_ids:
        return set()
    sql = (f"SELECT e.child_id, e.activity_id FROM {rows.table(Enrolment)} e "  # noqa: S608
           f"WHERE e.child_id IN ({rows.placeholders(child_ids)}) "
           f"AND e.activity_id IN ({rows.placeholders(activity_ids)}) AND e.state = %s")
    return set(rows.fetch(sql, [*child_ids, *activity_ids, Enrolment.State.VALIDATED.value]))


def validated_enrolments_of(children, activity_ids) -> dict[int, dict]:
    """{child id: {activity id: his validated enrolment}}, in one query."""
    found: dict[int, dict] = {child.pk: {} for child in children}
    for enrolment in enrolments_read(list(found), list(set(activity_ids))):
        found[enrolment.child_id][enrolment.activity_id] = enrolment
    return found


def periods_of(activity_ids) -> list[BookingPeriod]:
    """The activities' booking periods, by first day: one statement."""
    ids = rows.row_ids(activity_ids)
    if not ids:
        return []
    sql = (f"SELECT {rows.select(BookingPeriod, 'p')} FROM {rows.table(BookingPeriod)} p "  # noqa: S608
           f"WHERE p.activity_id IN ({rows.placeholders(ids)}) "
           "ORDER BY p.first_day, p.id")
    return [rows.instance(BookingPeriod, row) for row in rows.fetch(sql, ids)]


def period_with_activity(period_id) -> BookingPeriod | None:
    ids = rows.row_ids([period_id])
    if not ids:
        return None
    sql = (f"SELECT {rows.select(BookingPeriod, 'p')}, {rows.select(Activity, 'a')} "  # noqa: S608
           f"FROM {rows.table(BookingPeriod)} p JOIN {rows.table(Activity)} a "
           "ON a.id = p.activity_id WHERE p.id = %s")
    found = rows.fetch(sql, ids)
    if not found:
        return None
    middle = len(rows.columns(BookingPeriod))
    period = rows.instance(BookingPeriod, found[0][:middle])
    period.activity = rows.instance(Activity, found[0][middle:])
    return period


def first_day_of(slot_ids):
    """The earliest date of these slots, or None: one statement."""
    ids = rows.row_ids(slot_ids)
    if not ids:
        return None
    sql = (f"SELECT MIN(s.date) FROM {rows.table(Slot)} s "  # noqa: S608
           f"WHERE s.id IN ({rows.placeholders(ids)})")
    found = rows.fetch(sql, ids)[0][0]
    return None if found is None else rows.convert(Slot, "date", found)


def units_of(activity_ids) -> list[ActivityUnit]:
    """The activities' units, in their order: one statement."""
    ids = rows.row_ids(activity_ids)
    if not ids:
        return []
    sql = (f"SELECT {rows.select(ActivityUnit, 'u')} FROM {rows.table(ActivityUnit)} u "  # noqa: S608
           f"WHERE u.activity_id IN ({rows.placeholders(ids)}) "
           "ORDER BY u.position, u.id")
    return [rows.instance(ActivityUnit, row) for row in rows.fetch(sql, ids)]


def slots_by_id(slot_ids) -> list[Slot]:
    """The slots as booking reads them, in id order (ids that cannot exist are ignored)."""
    ids = rows.row_ids(slot_ids)
    if not ids:
        return []
    return list(Slot.objects.filter(pk__in=ids).select_related(*SLOT_RELATIONS).order_by("pk"))


def days_of_slots(slot_ids) -> list[tuple[int, object]]:
    """(activity id, date) of each of these slots."""
    ids = rows.row_ids(slot_ids)
    if not ids:
        return []
    return list(Slot.objects.filter(pk__in=ids).order_by().values_list("activity_id", "date"))


def period_slots(activity, unit, sites, first, last, iso_weekday) -> list[Slot]:
    """A period's slots of one unit at these sites ({id: site}) between two dates (on one ISO
    weekday, if given), each with its age group, by date: one statement. The activity (read
    with its school year and deadline rule), the unit and the sites are the caller's, given
    to every slot rather than read again with each: the same two or three rows for fifteen
    slots. The weekday is picked here, not in SQL: a period has a few dozen days per unit
    and site, and SQLite has no ISO weekday of its own."""
    site_ids = rows.row_ids(sites)
    if not site_ids:
        return []
    sql = (f"SELECT {rows.select(Slot, 's')}, {rows.select(AgeGroup, 'g')} "  # noqa: S608
           f"FROM {rows.table(Slot)} s LEFT JOIN {rows.table(AgeGroup)} g "
           "ON g.id = s.age_group_id WHERE s.activity_id = %s AND s.unit_id = %s "
           f"AND s.site_id IN ({rows.placeholders(site_ids)}) AND s.date BETWEEN %s AND %s "
           "ORDER BY s.date, s.id")
    found = []
    for row in rows.fetch(sql, [activity.pk, unit.pk, *site_ids, first, last]):
        slot, group = rows.instances((Slot, AgeGroup), row)
        if iso_weekday is not None and slot.date.isoweekday() != iso_weekday:
            continue
        slot.age_group = group
        slot.activity, slot.unit, slot.site = activity, unit, sites[slot.site_id]
        found.append(slot)
    return found


def requested(child_ids, slot_ids) -> list[Reservation]:
    """The children's reservations on these slots, whatever their state."""
    child_ids, slot_ids = rows.row_ids(child_ids), rows.row_ids(slot_ids)
    if not child_ids or not slot_ids:
        return []
    # `slot_id + 0`: through the children's index, as `Reservation.objects.of_children_on`.
    sql = (f"SELECT {rows.select(Reservation, 'r')} FROM {rows.table(Reservation)} r "  # noqa: S608
           f"WHERE r.child_id IN ({rows.placeholders(child_ids)}) "
           f"AND r.slot_id + 0 IN ({rows.placeholders(slot_ids)})")
    return [rows.instance(Reservation, row) for row in rows.fetch(sql, [*child_ids, *slot_ids])]


# --- the calendar month's slots and the child's rows on them, in one statement --------------

@dataclass
class SlotRow:
    """One slot of the month, with the child's reservation on it (if any), its justification
    and, for a waiting one, the tickets ahead that have left the list (`exits_ahead`)."""

    slot: Slot
    reservation: Reservation | None
    justification: AbsenceJustification | None


def _held(row, start: int):
    """The reservation (with `exits_ahead`, the row's last value) and its justification
    found in a row from `start`, or (None, None)."""
    if row[start] is None:
        return None, None
    middle = start + len(rows.columns(Reservation))
    reservation = rows.instance(Reservation, row[start:middle])
    reservation.exits_ahead = row[-1] or 0
    justification = None
    if row[middle] is not None:
        justification = rows.instance(
            AbsenceJustification, row[middle:middle + len(rows.columns(AbsenceJustification))])
    return reservation, justification


def _held_columns() -> str:
    """The reservation `r`, its justification `j`, and the exits ahead of a waiting one."""
    return (f"{rows.select(Reservation, 'r')}, {rows.select(AbsenceJustification, 'j')}, "  # noqa: S608
            f"(SELECT COUNT(*) FROM {rows.table(WaitingListExit)} x "
            "WHERE x.slot_id = r.slot_id AND x.ticket < r.waiting_ticket)")


def month_slot_rows(child_id, sites, first, last) -> list[SlotRow]:
    """The slots at these (activity, site) pairs between two dates, each with its age group,
    and the child's reservation on each with its justification and its rank's subtrahend:
    the calendar month's slots and rows in one statement."""
    if not sites:
        return []
    at_site = " OR ".join(["(s.activity_id = %s AND s.site_id = %s)"] * len(sites))
    sql = (  # the models' own names; every value is a bound parameter
        f"SELECT {rows.select(Slot, 's')}, {rows.select(AgeGroup, 'g')}, "  # noqa: S608
        f"{_held_columns()} FROM {rows.table(Slot)} s "
        f"LEFT JOIN {rows.table(AgeGroup)} g ON g.id = s.age_group_id "
        f"LEFT JOIN {rows.table(Reservation)} r ON r.child_id = %s AND r.slot_id = s.id "
        f"LEFT JOIN {rows.table(AbsenceJustification)} j ON j.reservation_id = r.id "
        f"WHERE ({at_site}) AND s.date BETWEEN %s AND %s")
    params = [child_id, *(value for pair in sites for value in pair), first, last]
    slot_end = len(rows.columns(Slot))
    group_end = slot_end + len(rows.columns(AgeGroup))
    found = []
    for row in rows.fetch(sql, params):
        slot = rows.instance(Slot, row[:slot_end])
        group = row[slot_end:group_end]
        slot.age_group = None if group[0] is None else rows.instance(AgeGroup, group)
        found.append(SlotRow(slot, *_held(row, group_end)))
    return found


def slot_rows_on(child_id, sites, pairs) -> list[SlotRow]:
    """The slots at these (activity, site) pairs on these (activity, date) days, each with
    its unit and age group, in the calendar's order, and the child's reservation on each
    with its justification and its rank's subtrahend: the days of a booking's answer in one
    statement, as `month_slot_rows` reads a month."""
    sites, pairs = list(sites), list(pairs)
    if not sites or not pairs:
        return []
    sql = (f"SELECT {rows.select(Slot, 's')}, {rows.select(ActivityUnit, 'u')}, "  # noqa: S608
           f"{rows.select(AgeGroup, 'g')}, {_held_columns()} FROM {rows.table(Slot)} s "
           f"JOIN {rows.table(ActivityUnit)} u ON u.id = s.unit_id "
           f"LEFT JOIN {rows.table(AgeGroup)} g ON g.id = s.age_group_id "
           f"LEFT JOIN {rows.table(Reservation)} r ON r.child_id = %s AND r.slot_id = s.id "
           f"LEFT JOIN {rows.table(AbsenceJustification)} j ON j.reservation_id = r.id "
           f"WHERE (s.activity_id, s.site_id) IN ({', '.join(['(%s, %s)'] * len(sites))}) "
           f"AND (s.activity_id, s.date) IN ({', '.join(['(%s, %s)'] * len(pairs))}) "
           "ORDER BY s.date, s.activity_id, u.position, u.id")
    params = [child_id, *(value for pair in (*sites, *pairs) for value in pair)]
    held_from = len(rows.columns(Slot)) + len(rows.columns(ActivityUnit)) + len(
        rows.columns(AgeGroup))
    found = []
    for row in rows.fetch(sql, params):
        slot, unit, group = rows.instances((Slot, ActivityUnit, AgeGroup), row[:held_from])
        slot.unit, slot.age_group = unit, group
        found.append(SlotRow(slot, *_held(row, held_from)))
    return found


def open_days_of_period(period, today) -> list[Slot]:
    """A booking period's slots still to come and not closed, with their unit and site, by
    date, unit and site: what staff may book for a family (the front desk's days)."""
    return list(Slot.objects.filter(
        activity=period.activity_id, date__range=(max(period.first_day, today),
                                                  period.last_day), closed=False,
    ).select_related("unit", "site").order_by("date", "unit__position", "site__name"))


def active_in_cells(cells) -> list[Reservation]:
    """The confirmed or waiting reservations of these (child id, slot id) cells, with their
    slots as booking reads them, in slot then child order: one statement."""
    cells = set(cells)
    if not cells:
        return []
    return [r for r in Reservation.objects.filter(
        child_id__in={c for c, _s in cells}, slot_id__in={s for _c, s in cells},
        state__in=ACTIVE_STATES).select_related(*(f"slot__{r}" for r in SLOT_RELATIONS))
        .order_by("slot_id", "child_id") if (r.child_id, r.slot_id) in cells]


def lock_child(child_id) -> None:
    """Take the child's row lock until the end of the transaction: bookings of one child that
    could overlap in time wait for each other (reservations/services/booking.py)."""
    list(Child.objects.select_for_update().filter(pk=child_id).order_by().values_list(
        "pk", flat=True))


def held_on(child_id, dates) -> list[tuple[Slot, str]]:
    """(slot with its unit and activity, state) of the child's confirmed or waiting
    reservations on these dates: one statement."""
    return [(row.slot, row.state) for row in Reservation.objects.filter(
        child_id=child_id, slot__date__in=list(dates), state__in=ACTIVE_STATES,
    ).select_related("slot__unit", "slot__activity").order_by()]
