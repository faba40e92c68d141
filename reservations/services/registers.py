"""Staff registers: the children expected per activity, site and day, and the attendance
staff record there (present or absent, for care the arrival and departure times, and the
presences nobody expected).

Who is expected: for an activity on reservation, the confirmed reservations on that day's
open slots at the site (every unit, every age group); for care (no reservation), every child
whose enrolment at the site is validated, on each unit, on a day the activity runs.

Health flags (allergies, diet, PAI) come from the child's dossier administratif of the
activity's year; they are read only for staff holding `inscriptions.view_health_data`, and
each file shown is written to the GDPR access journal (DESIGN.md, invariant 6).

Reading a register costs a fixed number of queries whatever the number of children."""

from dataclasses import dataclass, field
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from familles.models import Child
from inscriptions.calendar import closures, runs_on
from inscriptions.models import (
    Activity,
    ActivityUnit,
    AnnualFile,
    Enrolment,
    HealthDataAccess,
    SchoolYear,
    Site,
)

from ..deadlines import format_day
from ..models import Attendance, Reservation

HEALTH_PERMISSION = "inscriptions.view_health_data"
SEARCH_LIMIT = 20


# Reading ---------------------------------------------------------------------------------

@dataclass
class RegisterRow:
    """One child on one unit of the day."""

    child: Child
    unit: ActivityUnit
    age: int
    reservation: Reservation | None = None
    attendance: Attendance | None = None
    annual_file: AnnualFile | None = None
    unexpected: bool = False

    @property
    def key(self) -> str:
        return f"{self.unit.pk}_{self.child.pk}"

    @property
    def justification(self):
        # The reverse one-to-one raises (an AttributeError) when there is none.
        return getattr(self.reservation, "justification", None) if self.reservation else None

    @property
    def pickup_contacts(self) -> list:
        if self.annual_file is None:
            return []
        return [c for c in self.annual_file.authorised_contacts.all() if c.can_pick_up]

    @property
    def leaves_alone(self) -> bool:
        return bool(self.annual_file and self.annual_file.leave_alone_consent)

    @property
    def status(self) -> str:
        return self.attendance.status if self.attendance else ""


@dataclass
class UnitGroup:
    unit: ActivityUnit
    rows: list[RegisterRow] = field(default_factory=list)

    @property
    def expected_count(self) -> int:
        return sum(1 for row in self.rows if not row.unexpected)


@dataclass
class Register:
    activity: Activity
    site: Site
    day: date
    closed_reason: str
    groups: list[UnitGroup]
    with_health: bool

    @property
    def is_open(self) -> bool:
        return not self.closed_reason

    @property
    def with_times(self) -> bool:
        """Care records arrival and departure times."""
        return not self.activity.needs_reservation

    @property
    def rows(self) -> list[RegisterRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def title(self) -> str:
        return _("Registre – %(activity)s – %(site)s – %(day)s") % {
            "activity": self.activity.name, "site": self.site.name, "day": format_day(self.day)}

    def counts(self) -> dict:
        rows = self.rows
        return {
            "present": sum(1 for r in rows if r.status == Attendance.Status.PRESENT),
            "absent": sum(1 for r in rows if r.status == Attendance.Status.ABSENT),
            "unmarked": sum(1 for r in rows if not r.status),
            "unexpected": sum(1 for r in rows if r.unexpected),
        }


def current_school_year(today: date | None = None) -> SchoolYear | None:
    """The year running today; in the summer gap, the next one; else the latest."""
    today = today or timezone.localdate()
    years = SchoolYear.objects.all()
    return (years.filter(start_date__lte=today, end_date__gte=today).first()
            or years.filter(start_date__gt=today).order_by("start_date").first()
            or years.order_by("-start_date").first())


def closed_reason(activity: Activity, day: date) -> str:
    """Why the activity does not run that day, in words; empty when it runs."""
    year = activity.school_year
    if not (year.start_date <= day <= year.end_date):
        return _("Ce jour n'est pas dans l'année scolaire %(year)s de l'activité.") % {
            "year": year}
    if not runs_on(activity, day):
        return _("L'activité ne fonctionne pas ce jour-là.")
    closed = closures(activity, day, day)
    if day in closed:
        return _("Fermeture : %(reason)s") % {"reason": closed[day]}
    return ""


def _expected(activity: Activity, site: Site, day: date, units) -> dict:
    """(child id, unit id) -> (child, reservation or None), in one query."""
    if activity.needs_reservation:
        reservations = (
            Reservation.objects.filter(slot__activity=activity, slot__site=site,
                                       slot__date=day, slot__closed=False,
                                       state=Reservation.State.CONFIRMED)
            .select_related("child", "slot", "justification")
        )
        return {(r.child_id, r.slot.unit_id): (r.child, r) for r in reservations}
    enrolments = Enrolment.objects.filter(
        activity=activity, site=site, state=Enrolment.State.VALIDATED).select_related("child")
    return {(e.child_id, unit.pk): (e.child, None) for e in enrolments for unit in units}


def _sort_key(row: RegisterRow):
    return (row.child.last_name.lower(), row.child.first_name.lower(), row.child.pk)


def open_register(activity: Activity, site: Site, day: date, user, *,
                  record_access: bool = True) -> Register:
    """The register as staff read it. Health flags only for those allowed; each file whose
    health flags are shown is recorded in the access journal (unless the caller will not
    show them, and then calls record_health_accesses if it finally does)."""
    units = list(activity.units.all())
    reason = closed_reason(activity, day)
    expected = {} if reason else _expected(activity, site, day, units)
    attendances = {
        (a.child_id, a.unit_id): a
        for a in Attendance.objects.filter(activity=activity, site=site, date=day)
        .select_related("child")
    }
    rows = {}
    for key, (child, reservation) in expected.items():
        rows[key] = RegisterRow(child=child, unit=None, age=child.age_on(day),
                                reservation=reservation, attendance=attendances.get(key))
    for key, attendance in attendances.items():
        if key not in rows:  # recorded, no longer (or never) expected
            rows[key] = RegisterRow(child=attendance.child, unit=None,
                                    age=attendance.child.age_on(day), attendance=attendance,
                                    unexpected=True)
    files = {
        f.child_id: f
        for f in AnnualFile.objects.filter(
            school_year_id=activity.school_year_id,
            child_id__in={child_id for child_id, _unit in rows},
        ).prefetch_related("authorised_contacts")
    }
    by_unit = {unit.pk: UnitGroup(unit=unit) for unit in units}
    for (child_id, unit_id), row in rows.items():
        row.annual_file = files.get(child_id)
        group = by_unit.get(unit_id)
        if group is not None:
            row.unit = group.unit
            group.rows.append(row)
    for group in by_unit.values():
        group.rows.sort(key=_sort_key)
    register = Register(activity=activity, site=site, day=day, closed_reason=reason,
                        groups=list(by_unit.values()),
                        with_health=user.has_perm(HEALTH_PERMISSION))
    if record_access:
        record_health_accesses(register, user)
    return register


def record_health_accesses(register: Register, user) -> None:
    """Journal each dossier whose health flags the register shows (GDPR art. 9)."""
    if not register.with_health:
        return
    files = {row.annual_file.pk: row.annual_file for row in register.rows if row.annual_file}
    HealthDataAccess.objects.bulk_create(
        [HealthDataAccess(annual_file=f, user=user, action=HealthDataAccess.Action.REGISTER,
                          health_fields="allergies, diet, has_pai") for f in files.values()])


def unexpected_candidates(activity: Activity, query: str) -> list[Child]:
    """Children with a validated enrolment in the activity (any site) whose name matches
    every word typed."""
    words = query.split()
    if not words or len(query.strip()) < 2:
        return []
    enrolments = Enrolment.objects.filter(activity=activity, state=Enrolment.State.VALIDATED)
    for word in words:
        enrolments = enrolments.filter(Q(child__first_name__icontains=word)
                                       | Q(child__last_name__icontains=word))
    enrolments = enrolments.select_related("child", "site").order_by(
        "child__last_name", "child__first_name")[:SEARCH_LIMIT]
    return [e.child for e in enrolments]


# Recording -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttendanceMark:
    """What staff ticked for one child on one unit."""

    child_id: int
    unit_id: int
    status: str
    arrived_at: time | None = None
    left_at: time | None = None


def _fmt(value: time) -> str:
    return value.strftime("%H:%M")


def _check_mark(mark: AttendanceMark, child: Child, unit: ActivityUnit) -> list[str]:
    who = {"child": child, "unit": unit.label}
    errors = []
    if mark.status not in Attendance.Status.values:
        errors.append(_("%(child)s (%(unit)s) : indiquez présent ou absent.") % who)
    elif mark.status == Attendance.Status.ABSENT and (mark.arrived_at or mark.left_at):
        errors.append(_("%(child)s (%(unit)s) est marqué absent : effacez ses heures "
                        "d'arrivée et de départ, ou marquez-le présent.") % who)
    if mark.arrived_at and mark.left_at and mark.left_at < mark.arrived_at:
        errors.append(_("%(child)s (%(unit)s) : l'heure de départ (%(left)s) précède l'heure "
                        "d'arrivée (%(arrived)s).") % {
            **who, "left": _fmt(mark.left_at), "arrived": _fmt(mark.arrived_at)})
    return errors


def record_attendance(activity: Activity, site: Site, day: date, marks, staff_user, *,
                      today: date | None = None) -> list[Attendance]:
    """Save the register's marks: one attendance per child, unit and day, created or updated
    (never duplicated). A child nobody expected must have a validated enrolment in the
    activity; his attendance is marked as an unexpected presence."""
    marks = list(marks)
    if not marks:
        return []
    reason = closed_reason(activity, day)
    if reason:
        raise ValidationError(reason)
    if day > (today or timezone.localdate()):
        raise ValidationError(_("On ne peut pas pointer un jour qui n'est pas encore venu."))
    units = {unit.pk: unit for unit in activity.units.all()}
    if any(mark.unit_id not in units for mark in marks):
        raise ValidationError(_("Cette unité n'appartient pas à l'activité."))
    keys = [(mark.child_id, mark.unit_id) for mark in marks]
    if len(set(keys)) != len(keys):
        raise ValidationError(_("Un enfant ne peut être pointé qu'une fois par unité."))

    expected = _expected(activity, site, day, units.values())
    child_ids = {mark.child_id for mark in marks}
    children = Child.objects.in_bulk(child_ids)
    if len(children) != len(child_ids):
        raise ValidationError(_("Enfant inconnu."))
    outsiders = {mark.child_id for mark in marks if (mark.child_id, mark.unit_id) not in expected}
    if outsiders:
        enrolled = set(Enrolment.objects.filter(
            activity=activity, state=Enrolment.State.VALIDATED, child_id__in=outsiders,
        ).values_list("child_id", flat=True))
        elsewhere = _booked_elsewhere(activity, site, day, outsiders)
    errors = []
    for mark in marks:
        child, unit = children[mark.child_id], units[mark.unit_id]
        errors += _check_mark(mark, child, unit)
        if mark.child_id not in outsiders:
            continue
        who = {"child": child, "unit": unit.label}
        if mark.child_id not in enrolled:
            errors.append(_("%(child)s n'a pas d'inscription validée à cette activité.") % who)
        elif (mark.child_id, mark.unit_id) in elsewhere:
            errors.append(_("%(child)s (%(unit)s) a une réservation à %(site)s ce jour-là : "
                            "pointez-le dans ce registre.") % {
                **who, "site": elsewhere[mark.child_id, mark.unit_id]})
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            return _save(activity, site, day, marks, expected, children, units, staff_user)
    except IntegrityError:
        raise ValidationError(_("Un collègue vient de pointer ce registre en même temps : "
                                "rechargez la page et recommencez.")) from None


def _booked_elsewhere(activity, site, day, child_ids) -> dict:
    """(child id, unit id) -> other site, for confirmed reservations at another site."""
    if not activity.needs_reservation:
        return {}
    rows = Reservation.objects.filter(
        slot__activity=activity, slot__date=day, state=Reservation.State.CONFIRMED,
        child_id__in=child_ids,
    ).exclude(slot__site=site).select_related("slot__site")
    return {(r.child_id, r.slot.unit_id): r.slot.site.name for r in rows}


def _save(activity, site, day, marks, expected, children, units, staff_user):
    existing = {
        (a.child_id, a.unit_id): a
        for a in Attendance.objects.select_for_update().filter(
            activity=activity, date=day, child_id__in={m.child_id for m in marks})
    }
    now = timezone.now()
    created, updated, errors = [], [], []
    for mark in marks:
        key = (mark.child_id, mark.unit_id)
        reservation = expected[key][1] if key in expected else None
        values = {"status": mark.status, "arrived_at": mark.arrived_at,
                  "left_at": mark.left_at, "unexpected": key not in expected,
                  "reservation": reservation}
        attendance = existing.get(key)
        if attendance is None:
            created.append(Attendance(child_id=mark.child_id, activity=activity,
                                      unit_id=mark.unit_id, site=site, date=day,
                                      recorded_at=now, recorded_by=staff_user, **values))
            continue
        if attendance.site_id != site.pk:
            child = children[mark.child_id]
            errors.append(_("%(child)s (%(unit)s) est déjà pointé à un autre lieu ce "
                            "jour-là.") % {"child": child, "unit": units[mark.unit_id].label})
            continue
        if any(getattr(attendance, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(attendance, name, value)
            attendance.recorded_at, attendance.recorded_by = now, staff_user
            updated.append(attendance)
    if errors:
        raise ValidationError(errors)
    if updated:
        bulk_update_with_history(
            updated, Attendance,
            ["status", "arrived_at", "left_at", "unexpected", "reservation", "recorded_at",
             "recorded_by"],
            default_user=staff_user)
    if created:
        bulk_create_with_history(created, Attendance, default_user=staff_user)
    return [*created, *updated]


def add_unexpected_presence(activity: Activity, site: Site, day: date, child_id, unit_id,
                            staff_user, *, arrived_at: time | None = None,
                            today: date | None = None) -> Attendance:
    """A child nobody expected is there: record him present, flagged as unexpected."""
    units = {unit.pk for unit in activity.units.all()}
    if unit_id not in units:
        raise ValidationError(_("Cette unité n'appartient pas à l'activité."))
    if (child_id, unit_id) in _expected(activity, site, day, activity.units.filter(pk=unit_id)):
        raise ValidationError(_("Cet enfant est déjà attendu : pointez-le dans le registre."))
    if Attendance.objects.filter(activity=activity, date=day, child_id=child_id,
                                 unit_id=unit_id).exists():
        raise ValidationError(_("Cet enfant est déjà pointé pour cette unité ce jour-là."))
    mark = AttendanceMark(child_id=child_id, unit_id=unit_id,
                          status=Attendance.Status.PRESENT, arrived_at=arrived_at)
    (attendance,) = record_attendance(activity, site, day, [mark], staff_user, today=today)
    return attendance
