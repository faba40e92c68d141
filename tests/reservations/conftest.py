"""Shared fixtures for reservation tests: an activity open for booking and a child ready to
book it (family and guardian, validated dossier administratif, validated enrolment).

- `bookable_activity(**kwargs)`: an activity (ActivityFactory kwargs/traits) with a deadline
  rule ("2 jours ouvrés avant, 10 h" unless `rule=` gives DeadlineRuleFactory kwargs) and a
  booking period covering its whole school year, open since yesterday.
- `ready_child(activity, guardian=None)`: a `Booker` (guardian, family, user, child,
  enrolment) whose child may book the activity; a new family unless `guardian` is given.
- `book_as(booker, slot, **kwargs)`: `reservations.services.book` for one slot, returns
  its Outcome.
- fixtures `activity` (a bookable Wednesday leisure centre), `slot` (its first Wednesday of
  October, 10 places) and `booker` (the `guardian` fixture's family, one ready child).
"""

from dataclasses import dataclass

import pytest

from familles.models import Child, Family, Guardian, User
from inscriptions.models import Activity, Enrolment
from reservations.services import booking
from tests.factories import ChildFactory, GuardianFactory
from tests.inscriptions.factories import ActivityFactory, AnnualFileFactory, EnrolmentFactory
from tests.reservations.factories import BookingPeriodFactory, DeadlineRuleFactory, SlotFactory


@dataclass
class Booker:
    guardian: Guardian
    child: Child
    enrolment: Enrolment

    @property
    def family(self) -> Family:
        return self.guardian.family

    @property
    def user(self) -> User:
        return self.guardian.user


def bookable_activity(rule=None, **activity_kwargs) -> Activity:
    activity = ActivityFactory(**activity_kwargs)
    DeadlineRuleFactory(activity=activity, **(rule or {}))
    BookingPeriodFactory(activity=activity)
    return activity


def ready_child(activity: Activity, guardian: Guardian | None = None) -> Booker:
    guardian = guardian or GuardianFactory()
    child = ChildFactory(family=guardian.family)
    AnnualFileFactory(child=child, school_year=activity.school_year, validated=True)
    enrolment = EnrolmentFactory(child=child, activity=activity, requested_by=guardian.user)
    return Booker(guardian=guardian, child=child, enrolment=enrolment)


def book_as(booker: Booker, slot, **kwargs) -> booking.Outcome:
    [outcome] = booking.book(booker.family, booker.child.pk, [slot.pk], booker.user, **kwargs)
    return outcome


@pytest.fixture
def activity(db):
    return bookable_activity()


@pytest.fixture
def slot(activity):
    return SlotFactory(activity=activity, capacity=10)


@pytest.fixture
def booker(activity, guardian):
    return ready_child(activity, guardian)
