"""Allocation periods with a database (docs/allocation.md):

- `allocation_activity(days=3, capacity=2)`: an `Allocated` bundle: a Wednesday leisure
  centre whose booking period is in allocation mode, its draw committed (the window opens
  in an hour), and `days` Wednesday slots of `capacity` places from October. Its moments:
  `during` (inside the window), `after` (closed, before first come opens), `opening`
  (first come opens).
- `household(activity, children=1, postal_code="56000")`: a `Booker` per child, brothers and
  sisters of one new household, each ready to book (validated file and enrolment).
- `wish(booker, slots, now)`: the household's wishes for that child on these slots.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from familles.models import Family
from inscriptions.models import Activity
from reservations.models import BookingPeriod, Slot
from reservations.services import WishRequest, commit_draw, submit_wishes
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.families import GuardianFactory
from tests.scenarios.reservations import (
    Booker,
    DeadlineRuleFactory,
    SlotFactory,
    ready_child,
)


@dataclass
class Allocated:
    activity: Activity
    period: BookingPeriod
    slots: list[Slot]

    @property
    def during(self) -> datetime.datetime:
        return self.period.wishes_open_at + datetime.timedelta(hours=1)

    @property
    def after(self) -> datetime.datetime:
        return self.period.wishes_close_at + datetime.timedelta(hours=1)

    @property
    def opening(self) -> datetime.datetime:
        return self.period.opens_at + datetime.timedelta(minutes=1)


def allocation_activity(days=3, capacity=2, decline_days=7) -> Allocated:
    activity = ActivityFactory()
    DeadlineRuleFactory(activity=activity)
    now = timezone.now()
    period = BookingPeriod.objects.create(
        activity=activity, label="Mercredis d'automne",
        first_day=activity.school_year.start_date, last_day=activity.school_year.end_date,
        mode=BookingPeriod.Mode.ALLOCATION, wishes_open_at=now + datetime.timedelta(hours=1),
        wishes_close_at=now + datetime.timedelta(days=7),
        opens_at=now + datetime.timedelta(days=10), decline_days=decline_days)
    period = commit_draw(period.pk, now=now)
    first = SlotFactory.build(activity=activity).date
    slots = [SlotFactory(activity=activity, capacity=capacity,
                         date=first + datetime.timedelta(weeks=week)) for week in range(days)]
    return Allocated(activity, period, slots)


def household(activity, children=1, postal_code="56000") -> list[Booker]:
    guardian = GuardianFactory()
    Family.objects.filter(pk=guardian.family_id).update(postal_code=postal_code)
    guardian.family.refresh_from_db()
    return [ready_child(activity, guardian) for _ in range(children)]


def wish(booker: Booker, slots, now, ranks=None):
    return submit_wishes(
        booker.family, booker.enrolment.activity.booking_periods.get().pk, [booker.child.pk],
        [WishRequest(booker.child.pk, slot.pk, (ranks or {}).get(slot.pk)) for slot in slots],
        booker.user, now=now)
