"""Each unit says what part of its price is food (left out of the attestation fiscale) and
how many hours it lasts (the CAF's hours): staff set both with the activity's units; left
empty, the food part is the canteen's 100 % and the others' 0 %, the duration 0 h."""

import pytest

from inscriptions.models import Activity
from tests.scenarios.enrolments import SchoolYearFactory, SiteFactory

pytestmark = pytest.mark.django_db

ACTIVITIES = "/gestion/inscriptions/activity/"


@pytest.fixture
def year():
    return SchoolYearFactory()


def post(staff_client, year, kind, name, **unit):
    site = SiteFactory()
    return staff_client.post(f"{ACTIVITIES}add/", {
        "school_year": year.pk, "kind": kind, "name": name, "sites": [site.pk],
        "days": "wednesdays", "validation": "automatic", "enrolment_open": "on",
        "needs_reservation": "on",
        "units-TOTAL_FORMS": "1", "units-INITIAL_FORMS": "0", "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000", "units-0-label": "Journée", "units-0-position": "0",
        **{f"units-0-{key}": value for key, value in unit.items()},
    })


def test_staff_set_the_food_part_and_the_hours_of_a_unit(staff_client, year):
    response = post(staff_client, year, "alsh_wednesday", "Mercredis", with_meal="on",
                    food_percent="25", duration_hours="8,5")

    assert response.status_code == 302
    unit = Activity.objects.get(name="Mercredis").units.get()
    assert (unit.food_share_percent(), str(unit.duration_hours)) == (25, "8.50")


def test_left_empty_the_canteen_is_all_food_and_others_none(staff_client, year):
    post(staff_client, year, "canteen", "Cantine", food_percent="", duration_hours="")
    post(staff_client, year, "alsh_wednesday", "Mercredis")

    canteen = Activity.objects.get(name="Cantine").units.get()
    alsh = Activity.objects.get(name="Mercredis").units.get()
    assert (canteen.food_share_percent(), canteen.duration_hours) == (100, 0)
    assert alsh.food_share_percent() == 0


def test_more_than_all_of_the_price_or_of_a_day_is_refused(staff_client, year):
    response = post(staff_client, year, "alsh_wednesday", "Mercredis", food_percent="120",
                    duration_hours="30")

    assert response.status_code == 200
    assert not Activity.objects.filter(name="Mercredis").exists()
