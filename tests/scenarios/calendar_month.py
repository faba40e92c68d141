"""A realistic month of the reservation calendar, as the demo commune's parents see it (issue
23, item 5): the Wednesday leisure centre with its three units (« Journée », « Matin »,
« Après-midi », with hours, so that they overlap) and the canteen on the other school days,
every day of this month and the next with its slots, the past Wednesdays and the canteen's
Mondays and Thursdays booked, and a canteen day booked yesterday, whatever its weekday, so that
a past day always offers « Justifier une absence ».

- `busy_month(guardian=None)` → `BusyMonth` (the guardian logs in with PASSWORD).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from familles.models import Child, Guardian
from inscriptions.models import Activity
from reservations.models import BookingPeriod, DeadlineRule, Reservation
from tests.scenarios.enrolments import EnrolmentFactory, SchoolYearFactory
from tests.scenarios.families import GuardianFactory
from tests.scenarios.reservations import (
    ReservationFactory,
    SlotFactory,
    bookable_activity,
    ready_child,
)

HOURS = {"Journée": (datetime.time(8, 30), datetime.time(17, 30)),
         "Matin": (datetime.time(8, 30), datetime.time(12, 0)),
         "Après-midi": (datetime.time(13, 30), datetime.time(17, 30))}


@dataclass
class BusyMonth:
    guardian: Guardian
    child: Child
    wednesdays: Activity
    canteen: Activity
    period: BookingPeriod
    first: datetime.date  # this month's first day
    yesterday: Reservation  # a canteen day to justify

    @property
    def month(self) -> str:
        return f"{self.first:%Y-%m}"


def _school_year_start(today: datetime.date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def busy_month(guardian: Guardian | None = None) -> BusyMonth:
    today = timezone.localdate()
    year = SchoolYearFactory(start_year=_school_year_start(today))
    wednesdays = bookable_activity(
        school_year=year, name="Accueil de loisirs du mercredi",
        units=list(HOURS), rule={"kind": DeadlineRule.Kind.PREVIOUS_WEEKDAY, "weekday": 2,
                                 "time": datetime.time(12, 0)})
    for unit in wednesdays.units.all():
        unit.starts_at, unit.ends_at = HOURS[unit.label]
        unit.save(update_fields=["starts_at", "ends_at"])
    canteen = bookable_activity(canteen=True, school_year=year, name="Restauration scolaire")
    booker = ready_child(wednesdays, guardian or GuardianFactory(first_name="Morgane"))
    child = booker.child
    EnrolmentFactory(child=child, activity=canteen, requested_by=booker.user)
    first = today.replace(day=1)
    day, last = first, (first + datetime.timedelta(days=62)).replace(day=1)
    yesterday = today - datetime.timedelta(days=1)
    while day < last:
        if day.weekday() == 2:
            slots = [SlotFactory(activity=wednesdays, unit=unit, date=day, capacity=12)
                     for unit in wednesdays.units.order_by("position")]
            if day < today:
                ReservationFactory(slot=slots[0], child=child)
        elif day.weekday() < 5 or day == yesterday:
            slot = SlotFactory(activity=canteen, date=day, capacity=80)
            if (day < today and day.weekday() in (0, 3)) or day == yesterday:
                ReservationFactory(slot=slot, child=child)
        day += datetime.timedelta(days=1)
    period = BookingPeriod.objects.get(activity=wednesdays)
    return BusyMonth(guardian=booker.guardian, child=child, wednesdays=wednesdays,
                     canteen=canteen, period=period, first=first,
                     yesterday=Reservation.objects.get(child=child, slot__date=yesterday))
