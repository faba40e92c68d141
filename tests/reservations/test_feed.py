"""The family's private iCal address (issue 5): what a calendar application receives, and
revocation."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from reservations.models import CalendarFeed, Reservation
from tests.helpers import flash_messages, visible_text
from tests.scenarios.enrolments import ActivityFactory, SchoolYearFactory, SiteFactory
from tests.scenarios.families import ChildFactory, FamilyFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory

pytestmark = pytest.mark.django_db

SETTINGS = reverse("reservations:feed_settings")
FEED_URL = re.compile(r"https?://testserver/reservations/agenda/[A-Za-z0-9_-]+\.ics")


def feed_url(client, **extra) -> str:
    response = client.get(SETTINGS, **extra)
    assert response.status_code == 200
    return FEED_URL.search(response.content.decode())[0]


def events(response) -> list:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content).walk("VEVENT")


@pytest.fixture
def activity():
    year = SchoolYearFactory()
    site = SiteFactory(name="Centre de loisirs de Kerbrume")
    site.address = "3 rue des Mouettes"
    site.save()
    return ActivityFactory(school_year=year, name="Mercredis loisirs", sites=[site])


def test_the_feed_lists_the_confirmed_reservations_of_both_households(
        parent_client, client, family, activity):
    lea = ChildFactory(family=family, first_name="Léa")
    shared = ChildFactory(family=FamilyFactory(), second_family=family, first_name="Tom")
    first = SlotFactory(activity=activity)
    second = SlotFactory(activity=activity, date=first.date + datetime.timedelta(days=7))
    mine = ReservationFactory(child=lea, slot=first)
    ReservationFactory(child=shared, slot=second, family=shared.family)
    ReservationFactory(child=lea, slot=second, state=Reservation.State.CANCELLED)
    stranger = ChildFactory(family=FamilyFactory(), first_name="Inconnu")
    ReservationFactory(child=stranger, slot=first)
    ReservationFactory(child=ChildFactory(family=family, first_name="Zoé"), slot=second,
                       state=Reservation.State.WAITING, waiting_since=mine.created_at)
    url = feed_url(parent_client)
    client.logout()  # calendar applications do not log in

    found = events(client.get(url))

    assert [(str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend")) for e in found] == [
        ("Léa – Mercredis loisirs (Journée)", first.date, first.date + datetime.timedelta(1)),
        ("Tom – Mercredis loisirs (Journée)", second.date, second.date + datetime.timedelta(1)),
    ]
    assert str(found[0]["location"]) == "Centre de loisirs de Kerbrume, 3 rue des Mouettes"
    uids = [str(e["uid"]) for e in found]
    assert len(set(uids)) == 2
    assert [str(e["uid"]) for e in events(client.get(url))] == uids  # stable between fetches


def test_the_feed_queries_do_not_grow_with_reservations(
        parent_client, client, family, activity, django_assert_max_num_queries):
    first = SlotFactory(activity=activity)
    ReservationFactory(child=ChildFactory(family=family), slot=first)
    url = feed_url(parent_client)
    client.logout()
    with CaptureQueriesContext(connection) as one:
        assert len(events(client.get(url))) == 1

    for week in range(1, 4):
        slot = SlotFactory(activity=activity, date=first.date + datetime.timedelta(weeks=week))
        for _child in range(2):
            ReservationFactory(child=ChildFactory(family=family), slot=slot)
    with django_assert_max_num_queries(len(one)):
        assert len(events(client.get(url))) == 7


def test_the_settings_page_gives_an_absolute_address_https_behind_tls(parent_client, family):
    url = feed_url(parent_client, secure=True)
    assert url.startswith("https://testserver/reservations/agenda/")
    assert url == feed_url(parent_client, secure=True)  # the same address on every visit
    assert CalendarFeed.objects.filter(family=family).count() == 1


def test_revoking_kills_the_old_address_and_gives_a_new_one(parent_client, client, family):
    old = feed_url(parent_client)

    response = parent_client.post(SETTINGS)

    assert response.status_code == 303
    page = parent_client.get(response["Location"])
    assert "L'ancienne adresse ne fonctionne plus" in " ".join(flash_messages(page))
    new = FEED_URL.search(page.content.decode())[0]
    assert new != old
    assert "Révoquer et créer une nouvelle adresse" in visible_text(page)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_an_unknown_token_is_not_found(client, db):
    assert client.get(reverse("reservations:feed", args=["pas-un-jeton"])).status_code == 404


def test_the_settings_page_needs_a_login(client, db):
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert "/compte/login/" in response["Location"]
