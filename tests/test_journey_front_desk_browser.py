"""The front desk in Chromium (issue 25): an agent creates, at the counter, a family whose
guardian has no e-mail, books a Wednesday for its child from the family's page, and the
booking's confirmation becomes a letter to print, as a PDF that says what was booked."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from familles.models import Child, Family, Letter
from ground import french
from reservations.models import Reservation
from tests.browser import assert_every_field_is_labelled, log_in, main
from tests.helpers import pdf_text
from tests.scenarios.accounts import TOTP_SECRET, StaffFactory
from tests.scenarios.counter import ready_to_book
from tests.scenarios.reservations import SlotFactory, bookable_activity
from tests.scenarios.summaries import send_summaries

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_serves_a_family_without_e_mail_and_a_letter_confirms(page: Page,
                                                                       live_server):
    agent = StaffFactory(first_name="Anne", last_name="Guichet")
    activity = bookable_activity(name="Accueil de loisirs du mercredi")
    slot = SlotFactory(activity=activity, capacity=12)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, agent.email, totp_secret=TOTP_SECRET)

    # « Créer une famille au guichet »: one guardian, a phone, no e-mail; a child.
    page.goto(live_server.url + "/gestion/familles/family/")
    main(page).get_by_role("link", name="Créer une famille au guichet").click()
    expect(page.get_by_role("heading", level=1, name="Créer une famille au guichet")
           ).to_be_visible()
    assert_every_field_is_labelled(page)
    family_part = main(page).get_by_role("group", name="Famille", exact=True)
    family_part.get_by_role("textbox", name="Adresse").fill("3 impasse des Lilas")
    family_part.get_by_label("Code postal").fill("56000")
    family_part.get_by_label("Commune").fill("Kerbrume")
    first = main(page).get_by_role("group", name="Premier responsable légal")
    first.get_by_role("textbox", name="Prénom").fill("Yvonne")
    first.get_by_role("textbox", name="Nom :", exact=True).fill("Le Goff")
    first.get_by_label("Lien avec les enfants").select_option(label="Mère")
    first.get_by_label("Téléphone fixe").fill("02 97 00 11 22")
    child_part = main(page).get_by_role("group", name="Un enfant (facultatif)")
    child_part.get_by_role("textbox", name="Prénom").fill("Maël")
    child_part.get_by_role("textbox", name="Nom :", exact=True).fill("Le Goff")
    # Born seven years ago (the factories' school years lie in the future: a birth date
    # after today is refused).
    child_part.get_by_label("Date de naissance").fill(f"{timezone.localdate().year - 7}-05-04")
    child_part.get_by_label("Garçon").check()
    main(page).get_by_role("button", name="Créer la famille").click()

    # The family's page: the guardian is served by letter.
    expect(page.get_by_role("heading", level=1, name="Famille Le Goff")).to_be_visible()
    expect(main(page)).to_contain_text("courrier")
    family = Family.objects.get(name="Famille Le Goff")
    assert family.guardians.get().user is None
    child = Child.objects.get(family=family)
    ready_to_book(child, activity)

    # « Réserver pour l'enfant »: the period, then the day.
    main(page).get_by_role("link", name="Réserver pour l'enfant").click()
    main(page).get_by_label("Enfant").select_option(label="Maël Le Goff")
    main(page).get_by_label("Période de réservation").select_option(index=1)
    main(page).get_by_role("button", name="Voir les jours").click()
    assert_every_field_is_labelled(page)
    main(page).get_by_label("Téléphone").check()
    day = french.format_day(slot.date, "l j F Y")
    main(page).get_by_label(re.compile(re.escape(day))).check()
    main(page).get_by_role("button", name="Réserver", exact=True).click()

    expect(page.get_by_role("heading", level=1, name="Famille Le Goff")).to_be_visible()
    expect(page.get_by_text(f"{day} : réservé")).to_be_visible()
    reservation = Reservation.objects.get(child=child, slot=slot)
    assert (reservation.state, reservation.source) == (Reservation.State.CONFIRMED,
                                                       Reservation.Source.STAFF)
    journal = main(page).get_by_role("table").filter(has_text="Réservation pour Maël")
    expect(journal).to_contain_text("Anne Guichet")

    # The confirmation is a letter to print, written by beat once the family's booking
    # session is over (the commune's quiet minutes): the agent prints it, as one PDF.
    assert send_summaries() == 1
    page.reload()
    letters = main(page).get_by_role("table").filter(has_text="Écrit le")
    expect(letters).to_contain_text("Maël")
    main(page).get_by_role("link", name="Imprimer les courriers en attente").click()
    row = main(page).get_by_role("row").filter(has_text="Famille Le Goff")
    row.get_by_role("checkbox").check()
    main(page).get_by_role("combobox", name="Action").select_option(
        label="Imprimer les courriers sélectionnés (PDF)")
    with page.expect_download() as download:
        main(page).get_by_role("button", name="Envoyer").click()
    text = pdf_text(download.value.path().read_bytes())
    assert "Yvonne Le Goff 3 impasse des Lilas 56000 Kerbrume" in text  # the envelope's window
    assert "Maël" in text and day in text and "réservé" in text
    letter = Letter.objects.get(family=family)
    assert letter.printed_by == agent
