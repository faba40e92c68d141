"""The dashboard lists each child's enrolments of the open years, their state in words, and
leads to the catalogue and the canteen subscription, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
)
from tests.scenarios.families import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    # Next school year, whatever other tests created before (the factory counts up).
    return SchoolYearFactory(start_year=timezone.localdate().year + 1)


def dashboard(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str) -> str:
    start = page.index('id="enrolments-title"')
    return page[start:page.index("</section>", start)]


def child_part(part: str, name: str) -> str:
    start = part.index(f">{name}</h3>")
    end = part.find("<h3", start)
    return part[start:end if end != -1 else None]


def test_each_child_has_his_enrolments_in_words(parent_client, family, year):
    lea = ChildFactory(family=family, first_name="Léa")
    hugo = ChildFactory(family=family, first_name="Hugo")
    canteen = ActivityFactory(canteen=True, school_year=year, name="Cantine des Tilleuls")
    wednesdays = ActivityFactory(school_year=year, name="Mercredis loisirs", staff_validated=True)
    holidays = ActivityFactory(school_year=year, name="Vacances sportives", staff_validated=True)
    enrolment = EnrolmentFactory(child=lea, activity=canteen)
    EnrolmentFactory(child=lea, activity=wednesdays, state="requested")
    EnrolmentFactory(child=lea, activity=holidays, state="refused",
                     staff_comment="Complet cet été.")
    EnrolmentFactory(child=hugo, activity=wednesdays, state="withdrawn")
    part = section(dashboard(parent_client))

    lea_part = child_part(part, "Léa")
    assert "Cantine des Tilleuls" in lea_part and "inscription validée" in lea_part
    assert "Mercredis loisirs" in lea_part
    assert "en attente de validation par le service" in lea_part
    assert "demande refusée" in lea_part and "Complet cet été." in lea_part
    assert reverse("reservations:subscription", args=[enrolment.pk]) in lea_part

    hugo_part = child_part(part, "Hugo")
    assert "Mercredis loisirs" not in hugo_part  # withdrawn by the parent
    assert "Aucune inscription pour l'instant." in hugo_part
    assert reverse("inscriptions:home") in hugo_part


def test_the_latest_request_of_an_activity_is_shown(parent_client, family, year):
    lea = ChildFactory(family=family, first_name="Léa")
    wednesdays = ActivityFactory(school_year=year, name="Mercredis loisirs")
    EnrolmentFactory(child=lea, activity=wednesdays, state="refused", staff_comment="Complet.")
    EnrolmentFactory(child=lea, activity=wednesdays, state="validated")
    lea_part = child_part(section(dashboard(parent_client)), "Léa")
    assert "inscription validée" in lea_part
    assert "demande refusée" not in lea_part


def test_past_years_and_other_families_are_not_shown(parent_client, family, other_guardian,
                                                     year):
    lea = ChildFactory(family=family, first_name="Léa")
    past = SchoolYearFactory(start_year=timezone.localdate().year - 3)
    EnrolmentFactory(child=lea, activity=ActivityFactory(school_year=past, name="Ancienne"))
    stranger = ChildFactory(family=other_guardian.family, first_name="Paul")
    EnrolmentFactory(child=stranger, activity=ActivityFactory(school_year=year, name="Autre"))
    page = dashboard(parent_client)
    assert "Ancienne" not in page
    assert "Autre" not in page and "Paul" not in page


def _children_with_enrolments(family, year, count, activities):
    for n in range(count):
        child = ChildFactory(family=family, first_name=f"Enfant{n}")
        AnnualFileFactory(child=child, school_year=year, validated=True)
        for activity in activities:
            EnrolmentFactory(child=child, activity=activity)


def test_query_count_does_not_grow_with_children(parent_client, family, year,
                                                 django_assert_max_num_queries):
    activities = [ActivityFactory(canteen=True, school_year=year),
                  ActivityFactory(school_year=year)]
    _children_with_enrolments(family, year, 1, activities)
    with CaptureQueriesContext(connection) as one_child:
        dashboard(parent_client)
    _children_with_enrolments(family, year, 2, activities)
    with django_assert_max_num_queries(len(one_child)):
        page = dashboard(parent_client)
    assert section(page).count("inscription validée") == 6
