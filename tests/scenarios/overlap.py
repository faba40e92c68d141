"""One Wednesday where a child could be in two places at once: the ALSH's « Journée »
(8 h 30 – 17 h 30), « Matin » (8 h 30 – 12 h) and « Après-midi avec repas » (12 h – 17 h 30),
and the Passerelle's « Après-midi » (13 h 30 – 17 h 30), at the same centre.

- `overlapping_wednesday(guardian=None, hours=True)`: Léa (a girl), enrolled in both,
  their slots that day by (activity name, unit label); `hours=False` leaves every unit
  without hours.
"""

import datetime
from dataclasses import dataclass

from familles.models import Child
from inscriptions.models import Activity, ActivityUnit
from reservations.models import Slot
from tests.scenarios.enrolments import EnrolmentFactory, SchoolYearFactory, SiteFactory
from tests.scenarios.reservations import Booker, SlotFactory, bookable_activity, ready_child

HOURS = {
    ("ALSH", "Journée"): ("08:30", "17:30"),
    ("ALSH", "Matin"): ("08:30", "12:00"),
    ("ALSH", "Après-midi avec repas"): ("12:00", "17:30"),
    ("Passerelle", "Après-midi"): ("13:30", "17:30"),
}


@dataclass
class OverlappingWednesday:
    booker: Booker
    alsh: Activity
    passerelle: Activity
    day: datetime.date
    slots: dict[tuple[str, str], Slot]

    def slot(self, activity: str, unit: str) -> Slot:
        return self.slots[activity, unit]

    @property
    def child(self) -> Child:
        return self.booker.child


def overlapping_wednesday(guardian=None, *, hours=True) -> OverlappingWednesday:
    year = SchoolYearFactory()
    site = SiteFactory()
    alsh = bookable_activity(school_year=year, name="ALSH", sites=[site],
                             units=["Journée", "Matin", "Après-midi avec repas"])
    passerelle = bookable_activity(school_year=year, name="Passerelle", sites=[site],
                                   units=["Après-midi"])
    if hours:
        for (activity, label), (start, end) in HOURS.items():
            ActivityUnit.objects.filter(activity__in=[alsh, passerelle],
                                        activity__name=activity, label=label).update(
                starts_at=datetime.time.fromisoformat(start),
                ends_at=datetime.time.fromisoformat(end))
    booker = ready_child(alsh, guardian)
    Child.objects.filter(pk=booker.child.pk).update(first_name="Léa", sex=Child.Sex.FEMALE)
    booker.child.refresh_from_db()
    EnrolmentFactory(child=booker.child, activity=passerelle)
    day = datetime.date(year.start_date.year, 10, 1)
    day += datetime.timedelta(days=(2 - day.weekday()) % 7)
    slots = {(activity.name, unit.label): SlotFactory(activity=activity, unit=unit, date=day)
             for activity in (alsh, passerelle) for unit in activity.units.all()}
    return OverlappingWednesday(booker, alsh, passerelle, day, slots)
