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


def test_staff_give_a_unit_its_hours(staff_client, year):
    """When a unit is held (issue 23): two units of one day that meet cannot both be booked
    for one child (tests/reservations/test_overlap.py)."""
    response = post(staff_client, year, "alsh_wednesday", "Mercredis", starts_at="8:30",
                    ends_at="17:30")

    assert response.status_code == 302
    unit = Activity.objects.get(name="Mercredis").units.get()
    assert (unit.starts_at.isoformat(), unit.ends_at.isoformat()) == ("08:30:00", "17:30:00")


@pytest.mark.parametrize("hours, error", [
    ({"starts_at": "8:30"}, "Indiquez l'heure de début et l'heure de fin, ou aucune des deux."),
    ({"starts_at": "12:00", "ends_at": "8:30"}, "La fin doit suivre le début."),
])
def test_hours_must_be_both_and_in_order(staff_client, year, hours, error):
    response = post(staff_client, year, "alsh_wednesday", "Mercredis", **hours)

    assert response.status_code == 200
    assert error in response.content.decode().replace("&#x27;", "'")
    assert not Activity.objects.filter(name="Mercredis").exists()
