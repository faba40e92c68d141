"""The brochure's numbers, pinned (the commune's brochure, « Portail Famille », réinscription
2023-2024; its sentences are quoted in each test). Each test fails when a default that keeps
a promise changes (CommuneSettings, the demo commune), whatever the code computes from it:
the figures here are written out, never read from the setting they check."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ground.commune import commune
from ground.models import CommuneSettings
from inscriptions.models import SchoolYear
from portail.demo import seed
from reservations.deadlines import justification_deadline, justification_limit_text
from reservations.models import BookingPeriod
from reservations.services.absences import justification_refusal
from tests.helpers import visible_text
from tests.scenarios.overlap import overlapping_wednesday
from tests.scenarios.reservations import ReservationFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# « Je souhaite annuler une réservation mais je suis hors délai : je clique sur « Justifier
# une absence » (jusqu'à 48h, pas d'annulation par mail ou téléphone). »


def test_an_absence_can_be_justified_until_48_hours_after_the_day():
    assert CommuneSettings().justification_hours == 48
    assert commune().justification_hours == 48
    wednesday = datetime.date(2026, 10, 7)
    assert justification_deadline(wednesday) == datetime.datetime(2026, 10, 10, 0, 0,
                                                                   tzinfo=PARIS)
    assert justification_limit_text(wednesday) == "vendredi 9 octobre 2026 inclus"


def test_the_service_accepts_a_justification_47_hours_after_and_refuses_it_49_hours_after():
    w = overlapping_wednesday()
    reservation = ReservationFactory(slot=w.slot("ALSH", "Journée"), child=w.child)
    end_of_day = datetime.datetime.combine(w.day + datetime.timedelta(days=1),
                                           datetime.time(0, 0), tzinfo=PARIS)
    assert justification_refusal(reservation, end_of_day + datetime.timedelta(hours=47)) == ""
    assert "délai pour justifier cette absence est dépassé" in justification_refusal(
        reservation, end_of_day + datetime.timedelta(hours=49))


def test_the_pages_say_48_hours():
    faq = visible_text(Client().get(reverse("faq")))
    assert "« Justifier une absence », jusqu'à 48 heures après la journée" in faq
    w = overlapping_wednesday()
    client = Client()
    client.force_login(w.booker.user)
    calendar = visible_text(client.get(reverse("reservations:calendar"), {
        "enfant": w.child.pk, "mois": f"{w.day:%Y-%m}"}))
    assert "vous pouvez seulement justifier une absence (jusqu'à 48 h après le jour)" in calendar


# « Pour cela vous devez vous connecter au portail, dès le mois de Mai, pour procéder aux
# réinscriptions » ; « Accueil de loisirs et Passerelle du mercredi : le lundi 10 juillet
# 2023 » ; « Restaurant scolaire : à partir du lundi 10 juillet 2023 » ; « Vacances de la
# Toussaint Accueil de loisirs et Passerelle : le lundi 25 septembre 2023 ». The demo commune
# keeps them, every year.

def test_the_demo_keeps_the_brochures_dates():
    with time_machine.travel(datetime.datetime(2023, 9, 4, 10, tzinfo=PARIS), tick=False):
        seed()
    year = SchoolYear.objects.get(label="2023-2024")
    opens = year.reregistration_opens_at.astimezone(PARIS)
    assert (opens.year, opens.month) == (2023, 5)  # « dès le mois de Mai »
    autumn = {p.activity.name: p.opens_at.astimezone(PARIS) for p in BookingPeriod.objects.filter(
        activity__school_year=year, first_day=year.start_date).select_related("activity")}
    july_10 = datetime.datetime(2023, 7, 10, 9, 0, tzinfo=PARIS)  # a Monday
    assert autumn == {"ALSH mercredi": july_10, "Passerelle mercredi": july_10,
                      "Restauration scolaire": july_10}
    toussaint = BookingPeriod.objects.get(activity__school_year=year,
                                          activity__name="ALSH vacances",
                                          first_day__month=10)
    assert toussaint.opens_at.astimezone(PARIS).date() == datetime.date(2023, 9, 25)
