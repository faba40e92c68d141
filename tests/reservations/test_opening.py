"""Reservations open on fixed dates per period (the brochure: "les mercredis ouvrent le 10
juillet à 9 h"), and may close at a set moment; the server enforces both, in Paris time."""

import datetime
import zoneinfo

import pytest
import time_machine

from reservations.models import BookingPeriod, Reservation
from reservations.services import booking
from tests.scenarios.enrolments import EnrolmentFactory
from tests.scenarios.reservations import SlotFactory, book_as, bookable_activity, ready_child

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
ONE_SECOND = datetime.timedelta(seconds=1)

pytestmark = pytest.mark.django_db


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def wednesdays():
    """A Wednesday activity whose September–December period opens on 10 July at 9 h (Paris)
    and closes on 30 November at 18 h; its whole-year default period is replaced."""
    activity = bookable_activity()
    year = activity.school_year.start_date.year
    BookingPeriod.objects.filter(activity=activity).update(
        label="Mercredis de septembre à décembre",
        first_day=datetime.date(year, 9, 1), last_day=datetime.date(year, 12, 31),
        opens_at=paris(year, 7, 10, 9, 0), closes_at=paris(year, 11, 30, 18, 0))
    return activity


def first_wednesday_of(year, month) -> datetime.date:
    day = datetime.date(year, month, 1)
    return day + datetime.timedelta(days=(2 - day.weekday()) % 7)


def test_before_the_opening_the_parent_is_told_when_it_opens(wednesdays):
    year = wednesdays.school_year.start_date.year
    slot = SlotFactory(activity=wednesdays, date=first_wednesday_of(year, 10))
    booker = ready_child(wednesdays)

    with time_machine.travel(paris(year, 7, 10, 9, 0) - ONE_SECOND, tick=False):
        outcome = book_as(booker, slot)

    assert outcome.state == "refused"
    day = datetime.date(year, 7, 10)
    weekday = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][
        day.weekday()]
    assert outcome.message == f"Les réservations ouvrent le {weekday} 10 juillet {year} à 9 h."
    assert not Reservation.objects.exists()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_at_the_opening_second_booking_is_accepted(wednesdays):
    year = wednesdays.school_year.start_date.year
    slot = SlotFactory(activity=wednesdays, date=first_wednesday_of(year, 10))
    booker = ready_child(wednesdays)

    with time_machine.travel(paris(year, 7, 10, 9, 0), tick=False):
        outcome = book_as(booker, slot)

    assert outcome.state == "confirmed"
    reservation = Reservation.objects.get(slot=slot)
    assert reservation.child == booker.child
    assert reservation.confirmed_at == paris(year, 7, 10, 9, 0)


def test_opening_is_per_period(wednesdays):
    """January's Wednesdays belong to a later period that is not open yet in September."""
    year = wednesdays.school_year.start_date.year
    BookingPeriod.objects.create(
        activity=wednesdays, label="Mercredis de janvier à avril",
        first_day=datetime.date(year + 1, 1, 1), last_day=datetime.date(year + 1, 4, 30),
        opens_at=paris(year, 11, 15, 8, 30))
    october = SlotFactory(activity=wednesdays, date=first_wednesday_of(year, 10))
    january = SlotFactory(activity=wednesdays, date=first_wednesday_of(year + 1, 1))
    booker = ready_child(wednesdays)

    with time_machine.travel(paris(year, 9, 15, 12, 0), tick=False):
        early_october = book_as(booker, october)
        early_january = book_as(booker, january)

    assert early_october.state == "confirmed"
    assert early_january.state == "refused"
    assert f"ouvrent le {_weekday(year, 11, 15)} 15 novembre {year} à 8 h 30" in (
        early_january.message)

    with time_machine.travel(paris(year, 11, 15, 8, 30), tick=False):
        assert book_as(booker, january).state == "confirmed"


def _weekday(year, month, day) -> str:
    return ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][
        datetime.date(year, month, day).weekday()]


def test_closes_at_ends_the_period(wednesdays):
    year = wednesdays.school_year.start_date.year
    # The second Wednesday of December: its own deadline comes after the closing.
    slot = SlotFactory(activity=wednesdays,
                       date=first_wednesday_of(year, 12) + datetime.timedelta(days=7))
    last_minute, too_late = ready_child(wednesdays), ready_child(wednesdays)
    closing = paris(year, 11, 30, 18, 0)

    with time_machine.travel(closing - ONE_SECOND, tick=False):
        assert book_as(last_minute, slot).state == "confirmed"
    with time_machine.travel(closing, tick=False):
        outcome = book_as(too_late, slot)

    assert outcome.state == "refused"
    assert outcome.message == (f"Les réservations de cette période sont closes depuis le "
                               f"{_weekday(year, 11, 30)} 30 novembre {year} à 18 h.")
    assert list(Reservation.objects.values_list("child", flat=True)) == [last_minute.child.pk]


def test_days_outside_any_period_cannot_be_booked(wednesdays):
    year = wednesdays.school_year.start_date.year
    slot = SlotFactory(activity=wednesdays, date=first_wednesday_of(year + 1, 3))
    booker = ready_child(wednesdays)

    with time_machine.travel(paris(year, 10, 1, 12, 0), tick=False):
        outcome = book_as(booker, slot)

    assert outcome.state == "refused"
    assert outcome.message == "Les réservations de ce jour ne sont pas encore programmées."
    assert not Reservation.objects.exists()


def test_another_activitys_open_period_does_not_open_this_one(wednesdays):
    """A period belongs to its activity: booking the canteen (open all year) and a Wednesday
    of March together confirms the canteen day only."""
    year = wednesdays.school_year.start_date.year
    canteen = bookable_activity(canteen=True, school_year=wednesdays.school_year)
    booker = ready_child(wednesdays)
    EnrolmentFactory(child=booker.child, activity=canteen, requested_by=booker.user)
    march = first_wednesday_of(year + 1, 3)
    wednesday = SlotFactory(activity=wednesdays, date=march)
    thursday = SlotFactory(activity=canteen, date=march + datetime.timedelta(days=1))

    with time_machine.travel(paris(year, 10, 1, 12, 0), tick=False):
        outcomes = booking.book(booker.family, booker.child.pk, [wednesday.pk, thursday.pk],
                                booker.user)

    states = {outcome.slot.pk: outcome.state for outcome in outcomes}
    assert states == {wednesday.pk: "refused", thursday.pk: "confirmed"}
