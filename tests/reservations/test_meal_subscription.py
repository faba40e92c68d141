"""« Abonnement restauration » through HTTP: fixed weekdays booked all year except holidays
and closures; a change applies from the first day still open under the canteen's deadline,
in Paris time; stopping cancels only the subscription's future days; ownership."""

import datetime
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from ground import french
from ground.calendar import days_between, public_holiday, school_holiday
from ground.models import OutboxMessage
from inscriptions.models import ClosureDay
from reservations.models import MealSubscription, Reservation, Slot
from reservations.services import Busy, book, booking, cancel, generate_slots, places, subscribe
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
)
from tests.scenarios.families import ChildFactory
from tests.scenarios.reservations import (
    BookingPeriodFactory,
    CapacityRuleFactory,
    DeadlineRuleFactory,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
CANTEEN_DAYS = (0, 1, 3, 4)  # the factory's canteen: Monday, Tuesday, Thursday, Friday


def paris(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def utc(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


def in_words(day) -> str:
    with translation.override("fr"):
        return french.format_day(day, "l j F Y")


def quiet_tuesday(year):
    """A Tuesday whose surrounding weeks have no school or public holiday."""
    day = year.start_date + timedelta(days=14)
    while True:
        around = [day + timedelta(days=n) for n in range(-8, 16)]
        if day.weekday() == 1 and not any(school_holiday(d) or public_holiday(d)
                                          for d in around):
            return day
        day += timedelta(days=1)


@pytest.fixture
def year():
    # Next school year, whatever other tests created before (the factory counts up).
    return SchoolYearFactory(start_year=timezone.localdate().year + 1)


@pytest.fixture
def canteen(year):
    activity = ActivityFactory(canteen=True, school_year=year, name="Restauration scolaire")
    CapacityRuleFactory(activity=activity, capacity=50)
    return activity


@pytest.fixture
def child(family, year):
    child = ChildFactory(family=family, first_name="Léa")
    AnnualFileFactory(child=child, school_year=year, validated=True)
    return child


@pytest.fixture
def enrolment(child, canteen):
    return EnrolmentFactory(child=child, activity=canteen)


def url(enrolment):
    return reverse("reservations:subscription", args=[enrolment.pk])


def open_days(activity, first, last):
    """Slots between two days, in a booking period opened long before."""
    BookingPeriodFactory(activity=activity, first_day=first, last_day=last,
                         opens_at=paris(activity.school_year.start_date - timedelta(days=60), 9))
    generate_slots(activity, first, last)


def post_at(client, guardian, enrolment, moment, data):
    with time_machine.travel(moment, tick=False):
        client.force_login(guardian.user)  # a session opened on the day
        return client.post(url(enrolment), data, follow=True)


def subscribe_at(client, guardian, enrolment, moment, weekdays):
    return post_at(client, guardian, enrolment, moment, {"weekdays": weekdays, "save": ""})


def booked(enrolment, source=Reservation.Source.SUBSCRIPTION) -> set:
    return set(Reservation.objects.filter(
        child=enrolment.child, state=Reservation.State.CONFIRMED, source=source,
    ).values_list("slot__date", flat=True))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_page_offers_the_canteen_days_and_says_the_rule(parent_client, enrolment, canteen,
                                                        year):
    DeadlineRuleFactory(activity=canteen)
    page = parent_client.get(url(enrolment)).content.decode()
    offered = {int(v) for v in re.findall(r'name="weekdays" value="(\d)"', page)}
    assert offered == set(CANTEEN_DAYS)
    for name in ("Lundi", "Mardi", "Jeudi", "Vendredi"):
        assert name in page
    assert "2 jours ouvrés avant, 10 h" in page
    assert "aucun abonnement" in page
    # today is before the school year: a subscription starts on its first day
    assert f"Un changement s'applique à partir du {in_words(year.start_date)}" in page


def test_catalogue_links_a_validated_canteen_enrolment_to_its_subscription(
        parent_client, family, enrolment, year):
    waiting = EnrolmentFactory(child=ChildFactory(family=family),
                               activity=ActivityFactory(canteen=True, school_year=year,
                                                        staff_validated=True),
                               state="requested")
    page = parent_client.get(reverse("inscriptions:home")).content.decode()
    assert f'href="{url(enrolment)}"' in page
    assert url(waiting) not in page
    assert parent_client.get(url(waiting)).status_code == 404


def test_subscription_skips_school_holidays_and_closure_days(client, guardian, enrolment,
                                                             canteen, year):
    holidays_first = next(d for d in days_between(year.start_date + timedelta(days=7),
                                                  year.end_date) if school_holiday(d))
    holidays_last = holidays_first
    while school_holiday(holidays_last + timedelta(days=1)):
        holidays_last += timedelta(days=1)
    first, last = holidays_first - timedelta(days=14), holidays_last + timedelta(days=14)
    school_days_after = [d for d in days_between(holidays_last, last)
                         if d.weekday() in CANTEEN_DAYS and not public_holiday(d)]
    back_to_school, closure = school_days_after[0], school_days_after[1]
    ClosureDay.objects.create(school_year=year, date=closure, label="Pont")
    open_days(canteen, first, last)

    response = subscribe_at(client, guardian, enrolment, paris(first - timedelta(days=7), 8),
                            list(CANTEEN_DAYS))
    assert any("Abonnement de Léa enregistré" in m for m in messages_of(response))
    days = booked(enrolment)
    week_before = {d for d in days_between(holidays_first - timedelta(days=7),
                                           holidays_first - timedelta(days=1))
                   if d.weekday() in CANTEEN_DAYS and not public_holiday(d)}
    assert week_before and week_before <= days
    assert back_to_school in days
    assert not [d for d in days if holidays_first <= d <= holidays_last]
    assert closure not in days
    assert not [d for d in days if public_holiday(d)]
    assert all(d.weekday() in CANTEEN_DAYS for d in days)
    assert OutboxMessage.objects.filter(template="meal_subscription_changed").count() == 1
    subscription = MealSubscription.objects.get(enrolment=enrolment)
    assert subscription.active and subscription.weekdays == list(CANTEEN_DAYS)
    assert "Prochains repas réservés par l'abonnement" in response.content.decode()


@pytest.mark.parametrize(("hour", "minute", "thursday_still_changes"),
                         [(9, 59, True), (10, 1, False)])
def test_a_change_applies_from_the_first_day_still_open(client, guardian, enrolment, canteen,
                                                        year, hour, minute,
                                                        thursday_still_changes):
    """Canteen: "2 jours ouvrés avant, 10 h". On Tuesday before 10 h, Thursday can still
    change; at 10:01 it cannot, and the change starts on Friday."""
    DeadlineRuleFactory(activity=canteen)
    tuesday = quiet_tuesday(year)
    thursday, friday = tuesday + timedelta(days=2), tuesday + timedelta(days=3)
    next_monday, next_thursday, next_friday = (tuesday + timedelta(days=n) for n in (6, 9, 10))
    open_days(canteen, tuesday - timedelta(days=7), tuesday + timedelta(days=14))
    subscribe_at(client, guardian, enrolment, paris(tuesday - timedelta(days=7), 8), [0, 3])
    assert {thursday, next_monday, next_thursday} <= booked(enrolment)

    # Monday and Thursday become Monday and Friday
    response = subscribe_at(client, guardian, enrolment, paris(tuesday, hour, minute), [0, 4])
    days = booked(enrolment)
    first_changed = thursday if thursday_still_changes else friday
    assert any(f"à partir du {in_words(first_changed)}" in m for m in messages_of(response))
    assert (thursday in days) is not thursday_still_changes
    assert friday in days and next_friday in days
    assert next_thursday not in days
    assert next_monday in days  # kept weekdays are not touched
    assert MealSubscription.objects.get().applies_from == first_changed


@pytest.mark.parametrize(("clock", "tuesday_booked"), [("paris", True), ("utc", False)])
def test_late_evening_in_utc_is_already_the_next_day_in_paris(client, guardian, enrolment,
                                                             canteen, year, clock,
                                                             tuesday_booked):
    """No deadline rule: a day can change until the eve, midnight, Paris time. Monday 23:30
    UTC is already Tuesday in Paris: Tuesday can no longer be booked."""
    tuesday = quiet_tuesday(year)
    monday = tuesday - timedelta(days=1)
    open_days(canteen, monday, tuesday + timedelta(days=14))
    moment = paris(monday, 23, 30) if clock == "paris" else utc(monday, 23, 30)
    response = subscribe_at(client, guardian, enrolment, moment, [1])
    days = booked(enrolment)
    assert (tuesday in days) is tuesday_booked
    assert tuesday + timedelta(days=7) in days
    first_open = tuesday if tuesday_booked else tuesday + timedelta(days=1)
    assert f"à partir du {in_words(first_open)}" in response.content.decode()


def test_stopping_cancels_only_future_subscription_days(client, guardian, family, enrolment,
                                                        canteen, year):
    DeadlineRuleFactory(activity=canteen)
    tuesday = quiet_tuesday(year)
    open_days(canteen, tuesday - timedelta(days=7), tuesday + timedelta(days=14))
    start = paris(tuesday - timedelta(days=7), 8)
    subscribe_at(client, guardian, enrolment, start, [0, 3])
    by_hand = tuesday + timedelta(days=10)  # a Friday the parent booked himself
    with time_machine.travel(start, tick=False):
        book(family, enrolment.child_id, [Slot.objects.get(date=by_hand).pk], guardian.user)
    past_monday, thursday = tuesday - timedelta(days=1), tuesday + timedelta(days=2)
    future = {tuesday + timedelta(days=n) for n in (6, 9, 13)}  # Mon, Thu, Mon after Friday
    assert {past_monday, thursday} | future <= booked(enrolment)

    response = post_at(client, guardian, enrolment, paris(tuesday, 10, 1), {"stop": ""})
    assert booked(enrolment) == {d for d in booked(enrolment) if d <= thursday}
    assert {past_monday, thursday} <= booked(enrolment)  # past, or past their deadline
    cancelled = set(Reservation.objects.filter(state=Reservation.State.CANCELLED)
                    .values_list("slot__date", flat=True))
    assert cancelled == future
    assert booked(enrolment, Reservation.Source.PARENT) == {by_hand}
    assert not MealSubscription.objects.get().active
    page = response.content.decode()
    assert "arrêté" in page
    assert any("Abonnement de Léa arrêté" in m for m in messages_of(response))
    assert OutboxMessage.objects.filter(template="meal_subscription_ended").count() == 1


def test_no_weekday_or_a_day_without_canteen_is_refused(parent_client, enrolment):
    response = parent_client.post(url(enrolment), {"save": ""}, follow=True)
    assert any("Choisissez au moins un jour" in m for m in messages_of(response))
    response = parent_client.post(url(enrolment), {"weekdays": [2], "save": ""})
    assert response.status_code == 400
    assert not MealSubscription.objects.exists()
    assert not Reservation.objects.exists()


def test_another_familys_subscription_is_out_of_reach(parent_client, other_guardian, canteen,
                                                      year):
    stranger = ChildFactory(family=other_guardian.family)
    AnnualFileFactory(child=stranger, school_year=year, validated=True)
    theirs = EnrolmentFactory(child=stranger, activity=canteen)
    assert parent_client.get(url(theirs)).status_code == 404
    assert parent_client.post(url(theirs), {"weekdays": [0], "save": ""}).status_code == 404
    assert parent_client.post(url(theirs), {"stop": ""}).status_code == 404
    assert not MealSubscription.objects.exists()


def test_only_validated_canteen_enrolments_have_a_subscription(parent_client, child, year):
    wednesdays = EnrolmentFactory(child=child, activity=ActivityFactory(school_year=year))
    assert parent_client.get(url(wednesdays)).status_code == 404
    assert parent_client.post(url(wednesdays), {"weekdays": [2], "save": ""}).status_code == 404
    assert not MealSubscription.objects.exists()


def test_withdrawing_the_enrolment_stops_the_subscription(client, guardian, enrolment, canteen,
                                                          year):
    DeadlineRuleFactory(activity=canteen)
    tuesday = quiet_tuesday(year)
    open_days(canteen, tuesday - timedelta(days=7), tuesday + timedelta(days=14))
    subscribe_at(client, guardian, enrolment, paris(tuesday - timedelta(days=7), 8), [0, 3])
    thursday = tuesday + timedelta(days=2)
    with time_machine.travel(paris(tuesday, 10, 1), tick=False):
        client.force_login(guardian.user)
        client.post(reverse("inscriptions:enrolment_withdraw", args=[enrolment.pk]))
    assert not MealSubscription.objects.get().active
    assert max(booked(enrolment)) == thursday  # the days past their deadline stay
    assert client.get(url(enrolment)).status_code == 404


def test_saving_again_books_the_days_still_missing_but_not_a_day_the_parent_cancelled(
        client, guardian, family, enrolment, canteen, year):
    """Days whose slots did not exist yet (or an interrupted run) are booked when the same
    subscription is saved again; a day the parent cancelled by hand stays cancelled."""
    tuesday = quiet_tuesday(year)
    open_days(canteen, tuesday - timedelta(days=7), tuesday + timedelta(days=6))
    subscribe_at(client, guardian, enrolment, paris(tuesday - timedelta(days=14), 8), [0, 1])
    next_monday = tuesday + timedelta(days=6)
    assert tuesday in booked(enrolment) and next_monday in booked(enrolment)
    slot = Slot.objects.get(activity=canteen, date=tuesday)
    with time_machine.travel(paris(tuesday - timedelta(days=14), 9), tick=False):
        cancel(family, enrolment.child.pk, [slot.pk], guardian.user)
    open_days(canteen, tuesday + timedelta(days=7), tuesday + timedelta(days=13))

    subscribe_at(client, guardian, enrolment, paris(tuesday - timedelta(days=14), 10), [0, 1])
    days = booked(enrolment)
    assert tuesday + timedelta(days=7) in days  # slots generated after the first save
    assert tuesday not in days  # cancelled by hand, left alone


def test_the_subscription_and_its_email_stand_even_if_booking_is_interrupted(
        family, guardian, enrolment, canteen, year, monkeypatch):
    """The e-mail is written with the decision; days a rush interrupted are booked when the
    parent saves again (previous test)."""
    tuesday = quiet_tuesday(year)
    open_days(canteen, tuesday, tuesday + timedelta(days=6))

    def busy(*_args):
        raise Busy()

    monkeypatch.setattr(booking, "take_place", busy)
    monkeypatch.setattr(places, "take_places_and_insert", busy)
    with (time_machine.travel(paris(tuesday - timedelta(days=14), 8), tick=False),
          pytest.raises(Busy)):
        subscribe(family, enrolment.pk, [0, 1], guardian.user)
    assert MealSubscription.objects.get(enrolment=enrolment).weekdays == [0, 1]
    assert OutboxMessage.objects.filter(template="meal_subscription_changed").count() == 1
    assert booked(enrolment) == set()
