"""A parent pays an invoice online with the demonstration provider (`make run`'s), in
Chromium at 390 px and 1,280 px: « Mes factures » → « Payer » → the page labelled « mode
démonstration » → accepted → back on the portal, the invoice paid. Measured at each step:
no sideways scroll, the action within the screen's width."""

import re

import pytest
from playwright.sync_api import Browser, expect

from facturation.models import PaymentAttempt
from tests.browser import log_in, main
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.families import GuardianFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def assert_fits(page, width: int, role: str, name: str) -> None:
    scroll_width, inner_width = page.evaluate(SIDEWAYS_JS)
    assert scroll_width <= inner_width, f"{page.url} is {scroll_width} px wide at {width} px"
    action = main(page).get_by_role(role, name=re.compile(name)).first
    expect(action).to_be_visible()
    box = action.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (page.url, name, box)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_parent_pays_with_the_demo_provider(browser: Browser, live_server, settings, width):
    settings.PORTAIL_PAYMENT_PROVIDER = "demo"
    guardian = GuardianFactory()
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=4250)
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server.url, guardian.user.email)
        page.goto(live_server.url + "/factures/")
        assert_fits(page, width, "button", "Payer 42,50")
        main(page).get_by_role("button", name=re.compile("Payer 42,50")).first.click()

        expect(page.get_by_role("heading", level=1, name="Paiement de démonstration")
               ).to_be_visible()
        expect(main(page).get_by_text("Mode démonstration")).to_be_visible()
        assert_fits(page, width, "button", "Le paiement est accepté")
        main(page).get_by_role("button", name="Le paiement est accepté").click()

        expect(main(page).get_by_role("status")).to_contain_text("Payée")
        assert_fits(page, width, "link", "Retour à mes factures")
    finally:
        context.close()
    assert invoice.balance_cents() == 0
    assert PaymentAttempt.objects.get().state == PaymentAttempt.State.PAID
