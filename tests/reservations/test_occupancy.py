"""The staff's occupancy dashboard (admin): for a chosen week, per site and activity, places,
booked, waiting, present, absences justified or not, each period's fill rate, SVG bars and a
CSV export; figures aggregated by the database in a fixed number of queries; staff without
the permission get nothing.

The week built by hand (the Wednesday of a school year's first October week):
- the leisure centre's open slot has 10 places: 4 confirmed reservations (Ana and Ben
  present, Cléo absent with an accepted justification, Dan absent without) and 2 waiting; a
  closed slot of 5 places the same week counts for nothing;
- the care, without reservation: 2 presences;
- the year's period: the week's 10 places plus 10 next week with 1 booked: 5 of 20 = 25 %."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reservations import occupancy
from reservations.models import AbsenceJustification, Reservation
from tests.helpers import visible_text
from tests.scenarios.accounts import StaffFactory, UserFactory
from tests.scenarios.attestations import present
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.families import ChildFactory
from tests.scenarios.reservations import BookingPeriodFactory, ReservationFactory, SlotFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:reservations_slot_occupancy")


@pytest.fixture
def week(db):
    activity = ActivityFactory(name="Mercredis")
    site = activity.sites.get()
    BookingPeriodFactory(activity=activity)
    slot = SlotFactory(activity=activity, capacity=10)
    SlotFactory(activity=activity, capacity=5, closed=True, closed_reason="Grève",
                unit=activity.units.create(label="Matin", position=1))
    later = SlotFactory(activity=activity, capacity=10,
                        date=slot.date + datetime.timedelta(days=7))
    ReservationFactory(slot=later)
    kids = {name: ChildFactory(first_name=name) for name in ("Ana", "Ben", "Cléo", "Dan")}
    booked = {name: ReservationFactory(slot=slot, child=child) for name, child in kids.items()}
    for _n in range(2):
        ReservationFactory(slot=slot, state=Reservation.State.WAITING,
                           waiting_since=timezone.now())
    present(kids["Ana"], slot.unit, slot.date, reservation=booked["Ana"])
    present(kids["Ben"], slot.unit, slot.date, reservation=booked["Ben"])
    present(kids["Cléo"], slot.unit, slot.date, status="absent", reservation=booked["Cléo"])
    AbsenceJustification.objects.create(reservation=booked["Cléo"], reason="illness",
                                        state="accepted", submitted_by=UserFactory())
    present(kids["Dan"], slot.unit, slot.date, status="absent", reservation=booked["Dan"])
    care = ActivityFactory(care=True, name="Périscolaire", sites=[site],
                           school_year=activity.school_year)
    morning = care.units.get(label="Matin")
    for child in list(kids.values())[:2]:
        present(child, morning, slot.date + datetime.timedelta(days=1))
    return {"site": site.name, "monday": occupancy.monday_of(slot.date)}


def test_the_weeks_figures_per_site_and_activity_and_period(week):
    with CaptureQueriesContext(connection) as queries:
        data = occupancy.dashboard(week["monday"])

    rows = [(x.site, x.activity, x.capacity, x.booked, x.waiting, x.present,
             x.absent_justified, x.absent_unjustified, x.fill) for x in data["lines"]]
    assert rows == [(week["site"], "Mercredis", 10, 4, 2, 2, 1, 1, 40),
                    (week["site"], "Périscolaire", 0, 0, 0, 2, 0, 0, None)]
    [period] = data["periods"]
    assert (period.capacity, period.booked, period.fill) == (20, 5, 25)
    assert len(queries) == 4  # aggregated by the database, whatever the week holds


def test_the_page_draws_bars_and_exports_csv(staff_client, week):
    response = staff_client.get(URL, {"semaine": week["monday"] + datetime.timedelta(days=3)})

    assert response.status_code == 200
    text = visible_text(response)
    first = week["monday"]
    assert f"Occupation de la semaine du {first.day}" in text
    assert "Mercredis 10 4 2 2 1 1 40 %" in text
    assert "sans réservation" in text
    html = response.content.decode()
    assert 'aria-label="4 réservés et 2 présents sur 10 places (40&nbsp;%)"' in html
    assert '<rect x="0" y="0" width="96" height="11"' in html  # 40 % of 240 px

    export = staff_client.get(URL, {"semaine": first.isoformat(), "format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [f"{first:%d/%m/%Y}", week["site"], "Mercredis", "10", "4", "2", "2", "1", "1",
            "40"] in rows
    assert rows[-1][:2] == ["Toute l'année", "Mercredis"] and rows[-1][-1] == "25"


def test_the_admin_index_links_the_dashboards_by_permission(staff_client, client):
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert URL in index and reverse("admin:facturation_invoice_caf") in index

    clerk = StaffFactory()
    clerk.groups.clear()
    clerk.user_permissions.set(Permission.objects.filter(codename="view_family"))
    client.force_login(clerk)
    assert URL not in client.get(reverse("admin:index")).content.decode()
    assert client.get(URL).status_code == 403
