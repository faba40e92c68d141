"""Read side of the staff's occupancy dashboard: for one week (Monday to Sunday), per site and
activity, the places (open slots' capacity), the confirmed reservations, the waiting
requests, and from the registers the presences and the absences, justified (an accepted
justification) or not; and for each booking period running that week, its fill rate over the
whole period. Everything is aggregated by the database: four queries, whatever the week."""

import csv
import datetime
import io
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from ground.spreadsheets import safe_cell

from .models import AbsenceJustification, Attendance, BookingPeriod, Reservation, Slot

BAR_WIDTH = 240  # pixels of a full bar in the dashboard's SVG


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _px(part: int, whole: int) -> int:
    return min(BAR_WIDTH, round(BAR_WIDTH * part / whole)) if whole else 0


@dataclass
class Line:
    site: str
    activity: str
    capacity: int = 0
    booked: int = 0
    waiting: int = 0
    present: int = 0
    absent_justified: int = 0
    absent_unjustified: int = 0

    @property
    def fill(self) -> int | None:
        return _percent(self.booked, self.capacity)

    @property
    def booked_px(self) -> int:
        return _px(self.booked, self.capacity)

    @property
    def present_px(self) -> int:
        return _px(self.present, self.capacity)


@dataclass
class PeriodFill:
    activity: str
    label: str
    first_day: datetime.date
    last_day: datetime.date
    capacity: int
    booked: int

    @property
    def fill(self) -> int | None:
        return _percent(self.booked, self.capacity)

    @property
    def booked_px(self) -> int:
        return _px(self.booked, self.capacity)


def week_lines(monday: datetime.date) -> list[Line]:
    sunday = monday + datetime.timedelta(days=6)
    lines: dict[tuple, Line] = {}

    def line(site, activity) -> Line:
        return lines.setdefault((site, activity), Line(site, activity))

    for row in Slot.objects.filter(date__range=(monday, sunday), closed=False).values(
            "site__name", "activity__name").annotate(capacity=Sum("capacity"),
                                                     booked=Sum("booked")).order_by():
        found = line(row["site__name"], row["activity__name"])
        found.capacity, found.booked = row["capacity"], row["booked"]
    for row in Reservation.objects.filter(
            slot__date__range=(monday, sunday), slot__closed=False,
            state=Reservation.State.WAITING).values(
            "slot__site__name", "slot__activity__name").annotate(n=Count("pk")).order_by():
        line(row["slot__site__name"], row["slot__activity__name"]).waiting = row["n"]
    accepted = Q(reservation__justification__state=AbsenceJustification.State.ACCEPTED)
    for row in Attendance.objects.filter(date__range=(monday, sunday)).values(
            "site__name", "activity__name").annotate(
            present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
            absent=Count("pk", filter=Q(status=Attendance.Status.ABSENT)),
            justified=Count("pk", filter=Q(status=Attendance.Status.ABSENT) & accepted),
    ).order_by():
        found = line(row["site__name"], row["activity__name"])
        found.present = row["present"]
        found.absent_justified = row["justified"]
        found.absent_unjustified = row["absent"] - row["justified"]
    return sorted(lines.values(), key=lambda x: (x.site, x.activity))


def _period_sum(field: str) -> Coalesce:
    slots = Slot.objects.filter(
        activity=OuterRef("activity"), date__gte=OuterRef("first_day"),
        date__lte=OuterRef("last_day"), closed=False,
    ).order_by().values("activity").annotate(s=Sum(field)).values("s")
    return Coalesce(Subquery(slots, output_field=IntegerField()), 0)


def period_fills(monday: datetime.date) -> list[PeriodFill]:
    """The booking periods running during the week, each with its fill over all its days."""
    sunday = monday + datetime.timedelta(days=6)
    periods = BookingPeriod.objects.filter(
        first_day__lte=sunday, last_day__gte=monday).annotate(
        capacity=_period_sum("capacity"), booked_sum=_period_sum("booked"),
    ).values_list("activity__name", "label", "first_day", "last_day", "capacity", "booked_sum"
                  ).order_by("activity__name", "first_day")
    return [PeriodFill(*row) for row in periods]


def dashboard(monday: datetime.date) -> dict:
    lines = week_lines(monday)
    return {"monday": monday, "sunday": monday + datetime.timedelta(days=6), "lines": lines,
            "periods": period_fills(monday), "bar_width": BAR_WIDTH,
            "totals": Line(_("Total"), "", *(sum(getattr(x, f) for x in lines) for f in (
                "capacity", "booked", "waiting", "present", "absent_justified",
                "absent_unjustified")))}


def dashboard_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Semaine du"), _("Lieu"), _("Activité"), _("Places"), _("Réservés"),
                     _("En attente"), _("Présents"), _("Absences justifiées"),
                     _("Absences non justifiées"), _("Taux de remplissage (%)")])
    week = f"{data['monday']:%d/%m/%Y}"
    for x in [*data["lines"], data["totals"]]:
        writer.writerow([week, safe_cell(x.site), safe_cell(x.activity), x.capacity, x.booked,
                         x.waiting, x.present, x.absent_justified, x.absent_unjustified,
                         "" if x.fill is None else x.fill])
    writer.writerow([])
    writer.writerow([_("Période"), _("Activité"), _("Du"), _("Au"), _("Places"),
                     _("Réservés"), _("Taux de remplissage (%)")])
    for p in data["periods"]:
        writer.writerow([safe_cell(p.label), safe_cell(p.activity), f"{p.first_day:%d/%m/%Y}",
                         f"{p.last_day:%d/%m/%Y}", p.capacity, p.booked,
                         "" if p.fill is None else p.fill])
    return "\ufeff" + out.getvalue()
