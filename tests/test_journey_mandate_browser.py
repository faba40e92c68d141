"""A parent signs the household's direct-debit mandate and revokes it, in Chromium at 390 and
1,280 px (issue 24): from « Mes factures », a wrong IBAN answered in French next to its field,
the mandate shown with its IBAN masked, the revocation confirmed. Measured at each step: no
page scrolls sideways (`scrollWidth <= innerWidth`), the actions are on the screen."""

import re

import pytest
from playwright.sync_api import Browser, expect

from facturation.models import Mandate
from tests.browser import field, log_in, main, menu
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.direct_debit import FAMILY_IBANS, offer_direct_debit
from tests.scenarios.families import GuardianFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def on_screen(page, width: int, role: str, name: str) -> None:
    action = main(page).get_by_role(role, name=name)
    expect(action).to_be_visible()
    box = action.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
    scroll_width, inner_width = page.evaluate(SIDEWAYS_JS)
    assert scroll_width <= inner_width, (page.url, scroll_width, inner_width)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_parent_signs_then_revokes_a_mandate(browser: Browser, live_server, width):
    offer_direct_debit()
    guardian = GuardianFactory()
    InvoiceFactory(issued=True, family=guardian.family, total_cents=4250)
    clear, masked = FAMILY_IBANS[0]
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server.url, guardian.user.email)
        menu(page, "Factures", "Mes factures")
        main(page).get_by_role("link", name="Signer un mandat de prélèvement").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Prélèvement automatique")
        form = main(page)
        form.get_by_label(field("Titulaire du compte")).fill("Claire Martin")
        form.get_by_label(field("IBAN")).fill(clear[:-1] + "8")
        form.get_by_label(re.compile(r"J'ai lu le mandat")).check()
        on_screen(page, width, "button", "Signer le mandat")
        form.get_by_role("button", name="Signer le mandat").click()
        error = main(page).locator("#id_iban").locator("xpath=..").get_by_text(
            re.compile("IBAN invalide : la clé de contrôle"))
        expect(error).to_be_visible()
        assert not Mandate.objects.exists()

        form.get_by_label(field("IBAN")).fill(clear)
        form.get_by_label(re.compile(r"J'ai lu le mandat")).check()
        form.get_by_role("button", name="Signer le mandat").click()
        expect(main(page).get_by_text(masked)).to_be_visible()
        assert clear not in page.content()
        on_screen(page, width, "link", "Révoquer le mandat")

        main(page).get_by_role("link", name="Révoquer le mandat").click()
        on_screen(page, width, "button", "Révoquer le mandat")
        main(page).get_by_role("button", name="Révoquer le mandat").click()
        expect(main(page).get_by_role("heading", name="Signer le mandat de prélèvement SEPA")
               ).to_be_visible()
        assert Mandate.objects.get().status == Mandate.Status.REVOKED
    finally:
        context.close()
