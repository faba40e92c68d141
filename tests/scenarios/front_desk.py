"""The front desk's booking grid (issue 25): a group of children enrolled at one site of an
activity that runs four days a week, and that week's slots.

- `front_desk_week(names=GROUP, capacity=10, full_day_places=None)`: a `FrontDeskWeek` —
  a canteen-like activity (Monday, Tuesday, Thursday, Friday; one unit « Repas »; deadline
  "2 jours ouvrés avant, 10 h"; a booking period open since yesterday) with one slot a day of
  a week of October of its school year, `capacity` places each (the Thursday only
  `full_day_places`, if given), and one child per name, each of his own family with a
  validated file and enrolment. Children are born a year apart (the first the eldest) and go
  to two schools in turn (SCHOOLS).
- `grid_url(week, **params)`: the grid's address for that week.
- `grid_post(client, week, action, cells=(), rows=(), cols=(), **data)`: the grid's form
  posted as staff tick it; `cell(child, slot)`, `column(slot)`: the checkboxes' values.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from familles.models import Child
from inscriptions.models import Activity, Site
from reservations.models import Slot
from tests.scenarios.enrolments import ActivityFactory, AnnualFileFactory, EnrolmentFactory
from tests.scenarios.families import ChildFactory, GuardianFactory
from tests.scenarios.reservations import (
    BookingPeriodFactory,
    DeadlineRuleFactory,
    SlotFactory,
)

GRID = "/gestion/reservations/reservation/grille/"
GROUP = ("Léa", "Hugo", "Inès", "Malo", "Nina", "Yanis")
SCHOOLS = ("École Jules Ferry", "École du Port")


@dataclass
class FrontDeskWeek:
    activity: Activity
    site: Site
    monday: datetime.date
    slots: list[Slot]  # Monday, Tuesday, Thursday, Friday
    children: list[Child]

    @property
    def thursday(self) -> Slot:
        return self.slots[2]

    def child(self, first_name: str) -> Child:
        return next(c for c in self.children if c.first_name == first_name)


def _october_monday(year_start: datetime.date) -> datetime.date:
    """The first Monday of October: its week and the next two are all October's."""
    day = datetime.date(year_start.year, 10, 1)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def front_desk_week(names=GROUP, capacity=10, full_day_places=None) -> FrontDeskWeek:
    activity = ActivityFactory(canteen=True, name="Restauration scolaire")
    DeadlineRuleFactory(activity=activity)
    BookingPeriodFactory(activity=activity)
    site = activity.sites.get()
    monday = _october_monday(activity.school_year.start_date)
    slots = []
    for offset in (0, 1, 3, 4):
        places = full_day_places if offset == 3 and full_day_places is not None else capacity
        slots.append(SlotFactory(activity=activity, date=monday + datetime.timedelta(
            days=offset), capacity=places))
    children = []
    eldest = activity.school_year.start_date.year - 6
    for index, name in enumerate(names):
        guardian = GuardianFactory(last_name=f"Famille{index}")
        child = ChildFactory(family=guardian.family, first_name=name, last_name=f"Nom{index}",
                             birth_date=datetime.date(eldest - len(names) + index + 1, 3, 1),
                             school=SCHOOLS[index % 2])
        AnnualFileFactory(child=child, school_year=activity.school_year, validated=True)
        EnrolmentFactory(child=child, activity=activity, requested_by=guardian.user)
        children.append(child)
    return FrontDeskWeek(activity, site, monday, slots, children)


def grid_url(week: FrontDeskWeek, **params) -> str:
    query = {"activity": week.activity.pk, "site": week.site.pk,
             "start": week.monday.isoformat(), **params}
    return f"{GRID}?{urlencode(query)}"


def cell(child, slot) -> str:
    return f"{child.pk}:{slot.pk}"


def column(slot) -> str:
    return f"{slot.date.isoformat()}:{slot.unit_id}"


def grid_post(client, week: FrontDeskWeek, action: str, cells=(), rows=(), cols=(),
              follow=True, **data):
    form = {"activity": week.activity.pk, "site": week.site.pk,
            "start": week.monday.isoformat(), "span": "week", "action": action,
            "cell": list(cells), "row": [child.pk for child in rows], "col": list(cols),
            **data}
    return client.post(GRID, form, follow=follow)
