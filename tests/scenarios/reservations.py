"""Booking as parents do it: deadline rules, booking periods, capacities, slots and
reservations, and a child ready to book.

- `DeadlineRuleFactory` ("2 jours ouvrés avant, 10 h"), `BookingPeriodFactory` (the
  activity's whole school year, open since yesterday), `CapacityRuleFactory`, `SlotFactory`
  (first Wednesday of October, 10 places), `ReservationFactory` (confirmed; keeps the slot's
  counters right).
- `bookable_activity(rule=None, **activity_kwargs)`: an activity (ActivityFactory kwargs and
  traits) with a deadline rule (`rule`: DeadlineRuleFactory kwargs) and a booking period
  covering its whole school year, open since yesterday.
- `ready_child(activity, guardian=None)`: a `Booker` (guardian, family, user, child,
  enrolment) whose child may book the activity; a new family unless `guardian` is given.
- `book_as(booker, slot, **kwargs)`: `reservations.services.book` for one slot, returns its
  Outcome.
"""

import datetime
from dataclasses import dataclass

import factory
from django.db.models import F
from django.utils import timezone

from familles.models import Child, Family, Guardian, User
from inscriptions.models import Activity, Enrolment
from reservations.models import (
    BookingPeriod,
    CapacityRule,
    DeadlineRule,
    Reservation,
    Slot,
)
from reservations.services import booking
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.enrolments import ActivityFactory, AnnualFileFactory, EnrolmentFactory
from tests.scenarios.families import ChildFactory, GuardianFactory


class DeadlineRuleFactory(factory.django.DjangoModelFactory):
    """By default "2 jours ouvrés avant, 10 h"."""

    class Meta:
        model = DeadlineRule

    activity = factory.SubFactory(ActivityFactory)
    kind = DeadlineRule.Kind.WORKING_DAYS_BEFORE
    days = 2
    time = datetime.time(10, 0)


class BookingPeriodFactory(factory.django.DjangoModelFactory):
    """A period covering the activity's whole school year, open since yesterday."""

    class Meta:
        model = BookingPeriod

    activity = factory.SubFactory(ActivityFactory)
    label = "Toute l'année"
    first_day = factory.LazyAttribute(lambda o: o.activity.school_year.start_date)
    last_day = factory.LazyAttribute(lambda o: o.activity.school_year.end_date)
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    closes_at = None


class CapacityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityRule

    activity = factory.SubFactory(ActivityFactory)
    site = factory.LazyAttribute(lambda o: o.activity.sites.first())
    age_group = None
    capacity = 20


class SlotFactory(factory.django.DjangoModelFactory):
    """A slot of the activity's first unit at its first site, on the first Wednesday of
    the school year's October by default."""

    class Meta:
        model = Slot

    activity = factory.SubFactory(ActivityFactory)
    unit = factory.LazyAttribute(lambda o: o.activity.units.first())
    site = factory.LazyAttribute(lambda o: o.activity.sites.first())
    age_group = None
    date = factory.LazyAttribute(lambda o: _first_wednesday(o.activity.school_year.start_date))
    capacity = 10


def _first_wednesday(start: datetime.date) -> datetime.date:
    day = datetime.date(start.year, 10, 1)
    return day + datetime.timedelta(days=(2 - day.weekday()) % 7)


class ReservationFactory(factory.django.DjangoModelFactory):
    """A confirmed reservation; keeps the slot's counters right (places, waiting tickets)."""

    class Meta:
        model = Reservation

    slot = factory.SubFactory(SlotFactory)
    child = factory.SubFactory(ChildFactory)
    family = factory.LazyAttribute(lambda o: o.child.family)
    state = Reservation.State.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("state") == Reservation.State.WAITING and not kwargs.get(
                "waiting_ticket"):  # the slot's next ticket, as the booking service takes it
            kwargs["waiting_ticket"] = booking._next_ticket(kwargs["slot"])
        reservation = super()._create(model_class, *args, **kwargs)
        if reservation.state == Reservation.State.CONFIRMED:
            Slot.objects.filter(pk=reservation.slot_id).update(booked=F("booked") + 1)
        return reservation


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
    # A family served at the counter has no account: an agent asked for it.
    enrolment = EnrolmentFactory(child=child, activity=activity,
                                 requested_by=guardian.user or StaffFactory())
    return Booker(guardian=guardian, child=child, enrolment=enrolment)


def book_as(booker: Booker, slot, **kwargs) -> booking.Outcome:
    [outcome] = booking.book(booker.family, booker.child.pk, [slot.pk], booker.user, **kwargs)
    return outcome
