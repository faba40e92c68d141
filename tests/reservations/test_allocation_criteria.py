"""Which of the commune's rules a child meets, as a run freezes it: living in the commune,
both parents working (an employer certificate per guardian, valid on the period's first day),
a priority set by staff on the child or his household, present at the same kind of activity
the year before. Shared custody: a household rule met by either household."""

import datetime

import pytest

from familles.models import Document
from reservations.allocation_queries import criteria_of
from reservations.models import AllocationPriority, Attendance
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.allocation import allocation_activity, household
from tests.scenarios.enrolments import ActivityFactory, SchoolYearFactory
from tests.scenarios.families import DocumentFactory, GuardianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def allocated():
    return allocation_activity(days=1)


def _met(booker, period):
    return criteria_of([booker.child], period)[booker.child.pk]


def test_living_in_the_commune_follows_the_households_postal_code(allocated):
    [here] = household(allocated.activity, postal_code="56000")
    [away] = household(allocated.activity, postal_code="29000")
    assert "resident" in _met(here, allocated.period)
    assert "resident" not in _met(away, allocated.period)


def test_both_parents_working_needs_a_valid_certificate_per_guardian(allocated):
    [booker] = household(allocated.activity)
    GuardianFactory(family=booker.family, first_name="Second")
    employment = Document.Kind.EMPLOYMENT
    DocumentFactory(family=booker.family, kind=employment)
    assert "working" not in _met(booker, allocated.period)  # one of two
    expired = DocumentFactory(family=booker.family, kind=employment,
                              valid_until=allocated.period.first_day - datetime.timedelta(days=1))
    assert "working" not in _met(booker, allocated.period)
    expired.valid_until = allocated.period.first_day
    expired.save()
    assert "working" in _met(booker, allocated.period)


def test_a_priority_set_by_staff_counts_for_a_child_or_his_whole_household(allocated):
    brother, sister = household(allocated.activity, children=2)
    [other] = household(allocated.activity)
    staff = StaffFactory()
    AllocationPriority.objects.create(child=brother.child, note="Services sociaux",
                                      set_by=staff)
    met = criteria_of([brother.child, sister.child, other.child], allocated.period)
    assert "priority" in met[brother.child.pk] and "priority" not in met[sister.child.pk]
    AllocationPriority.objects.create(family=other.family, note="Situation suivie",
                                      set_by=staff, valid_until=allocated.period.first_day
                                      - datetime.timedelta(days=1))
    assert "priority" not in _met(other, allocated.period)  # no longer valid


def test_last_years_attendance_is_a_presence_at_the_same_kind_of_activity(allocated):
    [came, stayed_home] = household(allocated.activity, children=2)
    start = allocated.activity.school_year.start_date
    last_year = ActivityFactory(school_year=SchoolYearFactory(start_year=start.year - 1),
                                kind=allocated.activity.kind)
    staff = StaffFactory()
    day = start - datetime.timedelta(days=60)
    for booker, status in ((came, "present"), (stayed_home, "absent")):
        Attendance.objects.create(child=booker.child, activity=last_year,
                                  unit=last_year.units.first(), site=last_year.sites.first(),
                                  date=day, status=status, recorded_by=staff)
    met = criteria_of([came.child, stayed_home.child], allocated.period)
    assert "last_year" in met[came.child.pk]
    assert "last_year" not in met[stayed_home.child.pk]


def test_in_shared_custody_either_household_meets_a_household_rule(allocated):
    [booker] = household(allocated.activity, postal_code="29000")
    [elsewhere] = household(allocated.activity, postal_code="56000")
    assert "resident" not in _met(booker, allocated.period)
    booker.child.second_family = elsewhere.family
    booker.child.save()
    assert "resident" in _met(booker, allocated.period)
