"""Allocation periods with a database (docs/allocation.md):

- `allocation_activity(days=3, capacity=2)`: an `Allocated` bundle: a Wednesday leisure
  centre whose booking period is in allocation mode, its draw committed (the window opens
  in an hour), and `days` Wednesday slots of `capacity` places from October. Its moments:
  `during` (inside the window), `after` (closed, before first come opens), `opening`
  (first come opens).
- `household(activity, children=1, postal_code="56000")`: a `Booker` per child, brothers and
  sisters of one new household, each ready to book (validated file and enrolment).
- `wish(booker, slots, now)`: the household's wishes for that child on these slots.
- `periods_in_every_state(guardian, year)`: at real time, allocation periods open, closed
  and published for the guardian's first child (the pages a live server shows).
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


def periods_in_every_state(guardian, year, *, days=2) -> dict:
    """For the guardian's household, at real time (pages a live server shows): an activity
    whose allocation periods are in each state, his first child enrolled in it, a
    neighbour's child wishing too (one place a day: some days wait). Returns the wish pages'
    addresses ("open", "closed", "published") and "decline": the confirmation page of a
    granted day ("decline_query": its query string); "child": the guardian's child;
    "periods": the periods by state."""
    from reservations.models import AllocationEntry
    from reservations.services import publish_allocation, run_allocation
    from tests.scenarios.accounts import StaffFactory
    from tests.scenarios.enrolments import EnrolmentFactory

    activity = ActivityFactory(school_year=year, name="Stage nature")
    DeadlineRuleFactory(activity=activity)
    child = Family.objects.get(pk=guardian.family_id).children.order_by("pk").first()
    EnrolmentFactory(child=child, activity=activity, requested_by=guardian.user)
    [neighbour] = household(activity)
    now = timezone.now()
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    first = SlotFactory.build(activity=activity).date
    windows = {"published": (now - 9 * day, now - 5 * day, now - 4 * day),
               "closed": (now - 5 * day, now - hour, now + 3 * day),
               "open": (now - hour, now + 7 * day, now + 8 * day)}
    periods = {}
    for n, (state, (opens, closes, first_come)) in enumerate(windows.items()):
        dates = [first + datetime.timedelta(weeks=n * days + week) for week in range(days)]
        period = BookingPeriod.objects.create(
            activity=activity, label=f"Session {n + 1}", first_day=dates[0],
            last_day=dates[-1], mode=BookingPeriod.Mode.ALLOCATION, wishes_open_at=opens,
            wishes_close_at=closes, opens_at=first_come)
        periods[state] = commit_draw(period.pk, now=opens - hour)
        slots = [SlotFactory(activity=activity, capacity=1, date=d) for d in dates]
        if state != "open":
            for family, user, kid in ((guardian.family, guardian.user, child),
                                      (neighbour.family, neighbour.user, neighbour.child)):
                submit_wishes(family, period.pk, [kid.pk],
                              [WishRequest(kid.pk, s.pk) for s in slots], user,
                              now=opens + hour)
    staff = StaffFactory()
    published = periods["published"]
    draft = run_allocation(published.pk, staff, now=published.wishes_close_at + hour)
    publish_allocation(draft.pk, staff, now=published.wishes_close_at + 2 * hour)
    granted = AllocationEntry.objects.filter(allocation=draft, child=child,
                                             outcome="granted").first()
    pages = {state: f"/reservations/voeux/{p.pk}/" for state, p in periods.items()}
    pages["decline_query"] = f"?enfant={child.pk}&creneau={granted.slot_id}"
    pages["decline"] = f"/reservations/voeux/{published.pk}/renoncer/" + pages["decline_query"]
    pages["child"], pages["periods"] = child, periods
    return pages
