"""The yearly re-registration in Chromium (issue 3): a parent fills and submits the dossier
administratif of his child, a staff member validates it in the admin, the parent sees it
validated.

Locators are accessible names (labels, roles), as a screen reader finds them: a field that
cannot be found by its label is an accessibility bug, not a reason to reach for CSS.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from ground.models import OutboxMessage
from inscriptions.models import AnnualFile
from tests.browser import assert_every_field_is_labelled, field, log_in, main, menu
from tests.helpers import pdf_bytes
from tests.scenarios.accounts import TOTP_SECRET, StaffFactory
from tests.scenarios.enrolments import SchoolYearFactory
from tests.scenarios.families import ChildFactory, GuardianFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_parent_submits_the_file_and_staff_validate_it(page: Page, browser, live_server,
                                                        tmp_path):
    guardian = GuardianFactory(first_name="Morgane", last_name="Le Goff")
    child = ChildFactory(family=guardian.family, first_name="Léa", last_name="Le Goff",
                         school="École du Centre", school_class="CE2")
    year = SchoolYearFactory()
    staff = StaffFactory()
    vaccination = tmp_path / "carnet-vaccination.pdf"
    vaccination.write_bytes(pdf_bytes("Carnet de vaccination"))
    income = tmp_path / "avis-imposition.pdf"
    income.write_bytes(pdf_bytes("Avis d'imposition"))
    page.set_default_timeout(15_000)

    # The parent logs in and opens « Créer une inscription ».
    log_in(page, live_server.url, guardian.user.email)
    menu(page, "Ma famille", "Créer une inscription")
    expect(page.get_by_role("heading", level=1, name="Créer une inscription")).to_be_visible()
    expect(main(page)).to_contain_text(f"Année scolaire {year}")
    main(page).get_by_role("link", name=re.compile(r"Commencer le dossier de Léa")).click()
    main(page).get_by_role("button", name="Commencer le dossier").click()

    # The form, pre-filled with the school of the child.
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Dossier administratif {year} de Léa")
    assert_every_field_is_labelled(page)
    form = main(page)
    expect(form.get_by_role("heading", name="Il reste à faire avant de transmettre")
           ).to_be_visible()
    expect(form.get_by_label(field("École"))).to_have_value("École du Centre")
    health = form.get_by_role("group", name="Santé")
    health.get_by_label(field("Vaccinations obligatoires à jour")).check()
    health.get_by_label(re.compile(r"^\s*Carnet de vaccination – ou envoyer")).set_input_files(
        vaccination)
    health.get_by_label(field("Allergies")).fill("Arachide")
    health.get_by_label(field("Régime alimentaire")).select_option(label="Sans porc")
    health.get_by_label(field("Médecin traitant")).fill("Dr Le Gall")
    health.get_by_label(field("Téléphone du médecin")).fill("02 97 11 22 33")
    consents = form.get_by_role("group", name="Autorisations")
    consents.get_by_label(field("Autorise les sorties")).check()
    consents.get_by_label(field("Autorise les soins d'urgence et l'hospitalisation")).check()
    money = form.get_by_role("group", name="Revenus (quotient familial)")
    money.get_by_label(field("Organisme d'allocations")).select_option(label="CAF")
    money.get_by_label(field("Numéro d'allocataire CAF ou MSA")).fill("1234567")
    money.get_by_label(re.compile(r"^\s*Justificatif de revenus – ou envoyer")).set_input_files(
        income)
    form.get_by_role("group", name="Règlement intérieur").get_by_label(
        re.compile(r"^\s*J'ai lu et j'accepte le règlement intérieur")).check()
    form.get_by_role("button", name="Transmettre le dossier").click()

    # Submitted: read-only, « en cours de traitement ».
    expect(page.get_by_role("status")).to_contain_text("Dossier transmis")
    expect(main(page)).to_contain_text("en cours de traitement")
    expect(main(page).get_by_role("button", name="Transmettre le dossier")).to_have_count(0)
    annual_file = AnnualFile.objects.get(child=child, school_year=year)
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert annual_file.vaccination_document.original_name == "carnet-vaccination.pdf"
    assert annual_file.income_document.original_name == "avis-imposition.pdf"
    assert annual_file.rules_version_accepted == year.rules_version
    receipt = OutboxMessage.objects.get(template="annual_file_submitted")
    assert receipt.status == OutboxMessage.Status.SENT

    # A staff member, in his own browser, validates it in the admin.
    staff_context = browser.new_context()
    try:
        agent = staff_context.new_page()
        agent.set_default_timeout(15_000)
        log_in(agent, live_server.url, staff.email, totp_secret=TOTP_SECRET)
        agent.goto(live_server.url + "/gestion/inscriptions/annualfile/")
        queue = agent.get_by_role("main").get_by_role("table")
        expect(queue).to_contain_text("Léa Le Goff")
        expect(queue).to_contain_text("En cours de traitement")
        queue.get_by_role("link", name="Léa Le Goff").click()
        expect(agent.get_by_role("heading", level=2, name="Décision")).to_be_visible()
        expect(agent.get_by_role("main")).to_contain_text("1234567")
        expect(agent.get_by_role("link", name=re.compile("avis-imposition.pdf"))).to_be_visible()
        agent.get_by_role("button", name="Valider le dossier").click()
        expect(agent.get_by_text("Dossier validé ; la famille est prévenue par e-mail.")
               ).to_be_visible()
    finally:
        staff_context.close()
    annual_file.refresh_from_db()
    assert (annual_file.state, annual_file.decided_by) == (AnnualFile.State.VALIDATED, staff)
    decision = OutboxMessage.objects.get(template="annual_file_validated")
    assert decision.status == OutboxMessage.Status.SENT
    assert decision.to == [guardian.user.email]

    # The parent reloads: validated.
    page.reload()
    expect(main(page)).to_contain_text("validé")
    menu(page, "Ma famille", "Créer une inscription")
    expect(main(page).get_by_role("listitem").filter(has_text="Léa")).to_contain_text("validé")
