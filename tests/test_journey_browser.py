"""A newcomer's first visit, in Chromium (issue 2): sign up, verify the address through the
link of the e-mail received, create the family, add a child, upload a document, log out.

Locators are accessible names (labels, roles), as a screen reader finds them: a field that
cannot be found by its label is an accessibility bug, not a reason to reach for CSS.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page, expect

from familles.models import Child, Document, Family
from ground.models import OutboxMessage
from tests.browser import assert_every_field_is_labelled, field, main, menu
from tests.helpers import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "nouvelle.famille@example.org"
PASSWORD = "Un-mot-de-passe-solide-2026"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-results"


def test_a_newcomer_signs_up_creates_the_family_adds_a_child_and_uploads_a_document(
    page: Page, live_server, tmp_path,
):
    page.set_default_timeout(15_000)

    # The public page, and the way in.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    main(page).get_by_role("link", name="Créer mon espace").click()

    # Sign-up with an e-mail and a password.
    expect(page).to_have_url(re.compile(r"/compte/signup/"))
    assert_every_field_is_labelled(page)
    main(page).get_by_label(re.compile(r"^\s*(Adresse )?e-?mail", re.I)).fill(EMAIL)
    main(page).get_by_label(re.compile(r"^\s*Mot de passe\s*\*?\s*$", re.I)).fill(PASSWORD)
    main(page).get_by_label(re.compile(r"^\s*Mot de passe \(", re.I)).fill(PASSWORD)
    main(page).get_by_role("button", name=re.compile("inscri|créer", re.I)).click()
    expect(page).to_have_url(re.compile(r"/compte/confirm-email/$"))

    # The verification e-mail went through the outbox (its link sealed there, never readable
    # by staff) and reached the newcomer; its link confirms the address.
    message = OutboxMessage.objects.get(to=[EMAIL])
    assert message.status == OutboxMessage.Status.SENT
    [email] = [m for m in mail.outbox if m.to == [EMAIL]]
    link = re.search(r"https?://\S+/compte/confirm-email/\S+/", email.body)
    assert link, email.body
    page.goto(link.group(0))
    main(page).get_by_role("button", name=re.compile("confirmer", re.I)).click()

    # Logged in on confirmation, with no family yet: the onboarding form.
    expect(page).to_have_url(re.compile(r"/famille/creer/$"))
    assert_every_field_is_labelled(page)
    you = main(page).get_by_role("group", name="Vous")
    you.get_by_label(field("Prénom")).fill("Morgane")
    you.get_by_label(field("Nom")).fill("Le Goff")
    you.get_by_label(field("Lien avec les enfants")).select_option(label="Mère")
    you.get_by_label(field("Téléphone portable")).fill("06 11 22 33 44")
    home = main(page).get_by_role("group", name="L'adresse du foyer")
    home.get_by_label(field("Adresse")).fill("12 rue des Mimosas")
    home.get_by_label(field("Code postal")).fill("56000")
    home.get_by_label(field("Commune")).fill("Kerbrume")
    main(page).get_by_role("button", name="Créer ma famille").click()

    # Then the first child.
    expect(page).to_have_url(re.compile(r"/famille/enfants/ajouter/$"))
    expect(page.get_by_role("status")).to_contain_text("Votre famille est créée")
    assert_every_field_is_labelled(page)
    form = main(page)
    form.get_by_label(field("Prénom")).fill("Léa")
    form.get_by_label(field("Nom")).fill("Le Goff")
    form.get_by_label(field("Date de naissance")).fill("2018-03-14")
    form.get_by_label(field("Fille")).check()
    form.get_by_label(field("École")).fill("École du Centre")
    form.get_by_label(field("Classe")).fill("CE2")
    form.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"/famille/$"))
    expect(main(page)).to_contain_text("Léa Le Goff")

    # A document, from "Mes documents".
    pdf = tmp_path / "avis-imposition-2025.pdf"
    pdf.write_bytes(pdf_bytes())
    menu(page, "Ma famille", "Mes documents")
    expect(page).to_have_url(re.compile(r"/documents/$"))
    assert_every_field_is_labelled(page)
    form = main(page)
    form.get_by_label(field("Type de document")).select_option(label="Avis d'imposition")
    form.get_by_label(field("Enfant concerné")).select_option(label="Toute la famille")
    form.get_by_label(field("Fichier")).set_input_files(pdf)
    form.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("avis-imposition-2025.pdf")
    documents = main(page).get_by_role("table", name="Documents déposés")
    row = documents.get_by_role("row").filter(has_text="avis-imposition-2025.pdf")
    expect(row).to_contain_text("Avis d'imposition")
    expect(row.get_by_role("link", name=re.compile("Télécharger"))).to_be_visible()

    # The dashboard, as the parent now sees it (saved for a human to look at).
    page.get_by_role("navigation").get_by_role("link", name="Mon tableau de bord").click()
    expect(page.get_by_role("heading", level=1, name="Mon tableau de bord")).to_be_visible()
    expect(main(page)).to_contain_text("Léa Le Goff")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "journey-dashboard.png"), full_page=True)

    # Log out: back on the public page.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(main(page).get_by_role("link", name="Créer mon espace")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)

    # What the journey left in the database.
    family = Family.objects.get(guardians__user__email=EMAIL)
    assert Child.objects.get(family=family).first_name == "Léa"
    document = Document.objects.get(family=family)
    assert (document.kind, document.original_name) == ("tax_notice", "avis-imposition-2025.pdf")
