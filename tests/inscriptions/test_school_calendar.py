"""The days an activity runs: Wednesdays and school days outside the school holidays of the
commune's zone, holiday centres inside them, never on a public holiday nor a closure day."""

import datetime

import holidays
import pytest
from django.utils import timezone

from ground.calendar import public_holiday
from ground.commune import update_commune
from inscriptions.calendar import activity_days
from inscriptions.models import ClosureDay
from tests.scenarios.enrolments import ActivityFactory, SchoolYearFactory

pytestmark = pytest.mark.django_db


def official_school_holidays(zone: str, *years: int) -> dict:
    """The Ministry's calendar as the `holidays` package publishes it (our data source)."""
    return dict(holidays.country_holidays("FR", subdiv=f"Zone {zone}", years=list(years),
                                          language="fr", categories=("school",)))


def in_zone(settings, zone: str):
    update_commune(school_holiday_zone=zone)


def school_year_days(year):
    day = year.start_date
    while day <= year.end_date:
        yield day
        day += datetime.timedelta(days=1)


@pytest.fixture
def year(db):
    """Next school year, pinned: the factory's sequence would run past 2100 in a long session,
    where the `holidays` package knows no holiday at all."""
    return SchoolYearFactory(start_year=timezone.localdate().year + 1)


def test_wednesdays_skip_the_toussaint_holidays_of_the_zone(settings, year):
    in_zone(settings, "B")
    activity = ActivityFactory(school_year=year)
    start = year.start_date.year
    toussaint = sorted(d for d, name in official_school_holidays("B", start).items()
                       if "Toussaint" in name)
    inside = next(d for d in toussaint if d.weekday() == 2)
    before = toussaint[0] - datetime.timedelta(days=(toussaint[0].weekday() - 2) % 7 or 7)

    days = activity_days(activity)

    assert inside not in days
    assert before in days
    assert {d.weekday() for d in days} == {2}
    holidays_b = official_school_holidays("B", start, start + 1)
    assert not [d for d in days if d in holidays_b or public_holiday(d)]
    assert days[0] >= year.start_date and days[-1] <= year.end_date


def test_the_zone_setting_changes_the_winter_wednesdays(settings, year):
    spring = year.end_date.year
    zone_a, zone_c = official_school_holidays("A", spring), official_school_holidays("C", spring)
    # A Wednesday of February or March in zone A's winter holidays and not in zone C's.
    differing = next(d for d in zone_a if d.month in (2, 3) and d.weekday() == 2
                     and d not in zone_c)
    activity = ActivityFactory(school_year=year)

    in_zone(settings, "A")
    days_a = activity_days(activity)
    in_zone(settings, "C")
    days_c = activity_days(activity)

    assert differing not in days_a
    assert differing in days_c
    assert days_a != days_c


def test_school_days_skip_public_holidays_in_term_time(settings, year):
    in_zone(settings, "B")
    canteen = ActivityFactory(school_year=year, canteen=True)  # Mon, Tue, Thu, Fri
    school = official_school_holidays("B", year.start_date.year, year.end_date.year)
    # 11 November, Ascension, Whit Monday…: term-time days the canteen would otherwise serve.
    holidays_in_term = [d for d in school_year_days(year)
                        if public_holiday(d) and d.weekday() in (0, 1, 3, 4) and d not in school]
    assert holidays_in_term, "the school year should have public holidays in term time"

    days = activity_days(canteen)

    assert not set(holidays_in_term) & set(days)
    assert {d.weekday() for d in days} == {0, 1, 3, 4}
    # The rest of the week around each holiday is served.
    for holiday in holidays_in_term:
        week = [holiday + datetime.timedelta(days=n) for n in range(-holiday.weekday(),
                                                                    5 - holiday.weekday())]
        served = [d for d in week if d.weekday() in (0, 1, 3, 4) and d != holiday
                  and d not in school and not public_holiday(d)]
        assert set(served) <= set(days)


def test_holiday_centres_run_in_the_school_holidays_on_weekdays_only(settings, year):
    in_zone(settings, "B")
    centre = ActivityFactory(school_year=year, kind="alsh_holidays", days="holidays")
    school = official_school_holidays("B", year.start_date.year, year.end_date.year)
    toussaint = sorted(d for d, name in school.items()
                       if "Toussaint" in name and year.start_date <= d)
    first_monday = next(d for d in toussaint if d.weekday() == 0)
    public_in_holidays = [d for d in school_year_days(year)
                          if d in school and d.weekday() < 5 and public_holiday(d)]
    assert public_in_holidays, "1 November, Christmas or 1 January falls on a weekday"

    days = activity_days(centre)

    assert first_monday in days
    assert all(d in school and d.weekday() < 5 for d in days)
    assert not set(public_in_holidays) & set(days)
    # Term-time Wednesdays are not holiday-centre days.
    term_wednesday = first_monday - datetime.timedelta(days=12)
    assert term_wednesday.weekday() == 2 and term_wednesday not in school
    assert term_wednesday not in days


def test_closure_days_for_all_activities_or_one(settings, year):
    in_zone(settings, "B")
    wednesdays = ActivityFactory(school_year=year)
    other = ActivityFactory(school_year=year)
    canteen = ActivityFactory(school_year=year, canteen=True)
    open_days = activity_days(wednesdays)
    strike, training = open_days[2], open_days[5]
    thursday = strike + datetime.timedelta(days=1)
    assert thursday in activity_days(canteen)

    ClosureDay.objects.create(school_year=year, date=strike, label="Grève")
    ClosureDay.objects.create(school_year=year, date=thursday, label="Grève")
    ClosureDay.objects.create(school_year=year, date=training, activity=wednesdays,
                              label="Formation des animateurs")

    assert strike not in activity_days(wednesdays)
    assert strike not in activity_days(other)
    assert thursday not in activity_days(canteen)
    assert training not in activity_days(wednesdays)
    assert training in activity_days(other)
    assert len(activity_days(wednesdays)) == len(open_days) - 2


def test_closures_of_another_school_year_do_not_count(settings, year):
    in_zone(settings, "B")
    activity = ActivityFactory(school_year=year)
    day = activity_days(activity)[0]
    other_year = SchoolYearFactory(start_year=year.start_date.year + 1)
    ClosureDay.objects.create(school_year=other_year, date=day, label="Autre année")
    assert day in activity_days(activity)


def test_a_range_inside_the_year(settings, year):
    in_zone(settings, "B")
    activity = ActivityFactory(school_year=year)
    everything = activity_days(activity)
    october = activity_days(activity, datetime.date(year.start_date.year, 10, 1),
                            datetime.date(year.start_date.year, 10, 31))
    assert october == [d for d in everything if d.month == 10]
    # Dates outside the school year are clipped to it.
    assert activity_days(activity, year.start_date - datetime.timedelta(days=60),
                         year.end_date + datetime.timedelta(days=60)) == everything
