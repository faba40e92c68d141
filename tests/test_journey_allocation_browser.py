"""Fair allocation in Chromium (issue 28), at 390 and 1,280 px: a parent reads the rules and
the draw's commitment, wishes for two days with an order of preference from the menu, finds
them ticked again; then reads the published result (granted, waiting, the seed and how to
verify) and declines a granted day through its confirmation step.

Measured: no page scrolls sideways (`scrollWidth <= innerWidth`), each action is visible and
within the screen's width when the parent reaches it."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from reservations.models import Reservation, Wish
from tests.browser import log_in, main, menu
from tests.scenarios.allocation import periods_in_every_state
from tests.scenarios.reservations import bookable_activity, ready_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1280]
SIDEWAYS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def assert_fits(page: Page, width: int) -> None:
    scroll, inner = page.evaluate(SIDEWAYS_JS)
    assert scroll <= inner, f"{page.url} scrolls sideways at {width} px ({scroll} > {inner})"


def assert_reachable(page: Page, action, width: int) -> None:
    action.scroll_into_view_if_needed()
    expect(action).to_be_visible()
    box = action.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{action} beyond {width} px"


@pytest.fixture
def town(db):
    booker = ready_child(bookable_activity())
    pages = periods_in_every_state(booker.guardian, booker.enrolment.activity.school_year)
    return booker, pages


@pytest.mark.parametrize("width", WIDTHS)
def test_a_parent_wishes_then_reads_the_result_and_declines_a_day(browser: Browser,
                                                                    live_server, town, width):
    booker, pages = town
    child = pages["child"]
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server.url, booker.user.email)

        # Wishing: from the menu, the rules and the commitment come before the form.
        menu(page, "Réservations", "Vœux et attributions")
        assert_fits(page, width)
        main(page).get_by_role("link", name=re.compile("^Faire mes vœux")).click()
        expect(main(page)).to_contain_text("Être le premier ne donne aucun avantage")
        expect(main(page).locator("#empreinte")).to_have_text(re.compile("^[0-9a-f]{64}$"))
        assert_fits(page, width)
        boxes = main(page).get_by_role("checkbox")
        expect(boxes).to_have_count(2)
        boxes.nth(1).check()
        boxes.nth(0).check()
        main(page).get_by_role("spinbutton").nth(1).fill("1")
        save = main(page).get_by_role("button", name="Enregistrer mes vœux")
        assert_reachable(page, save, width)
        save.click()
        expect(page.get_by_text("2 vœux enregistrés")).to_be_visible()
        assert_fits(page, width)
        expect(main(page).get_by_role("checkbox").nth(1)).to_be_checked()
        assert sorted((w.rank or 0) for w in Wish.objects.filter(child=child, period__label=
                                                                   "Session 3")) == [0, 1]

        # The published result: each day's fate, the seed, and declining a granted day.
        page.goto(live_server.url + pages["published"])
        assert_fits(page, width)
        expect(main(page)).to_contain_text("attribué")
        expect(main(page)).to_contain_text("en liste d'attente (rang 1) aujourd'hui")
        expect(main(page).locator("#graine")).to_have_text(re.compile("^[0-9a-f]{64}$"))
        expect(main(page).get_by_role("link", name=re.compile("données de l'attribution"))
               ).to_be_visible()
        give_back = main(page).get_by_role("link", name=re.compile("^Renoncer à ce jour"))
        assert_reachable(page, give_back, width)
        give_back.click()
        confirm = main(page).get_by_role("button", name="Oui, renoncer à ce jour")
        expect(confirm).to_be_visible()  # the confirmation page loaded, then measured
        assert_fits(page, width)
        assert_reachable(page, confirm, width)
        confirm.click()
        expect(page.get_by_text(re.compile("vous avez renoncé au"))).to_be_visible()
        expect(main(page)).to_contain_text("vous avez renoncé à ce jour")
        assert_fits(page, width)
        assert Reservation.objects.filter(child=child, state="cancelled").count() == 1
    finally:
        context.close()
