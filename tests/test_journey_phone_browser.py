"""Phone first, in Chromium (issue 23): at 320 and 390 px no parent page scrolls sideways, a
household with 60-character unbroken names included, and each page's main actions lie within
the screen's width; at 1024 and 1280 px the grouped menu holds on one line and leads to
« Justifier une absence ».

Measured, not looked at: `document.documentElement.scrollWidth <= innerWidth`, the actions'
boxes, the menu items' offsetTop. One browser, one logged-in state reused by one context per
width (a login costs more than a page)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import log_in, main, menu
from tests.scenarios.long_names import UNBROKEN, long_names_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# The top-level items of the menu: where each begins vertically (one line: one value), and
# how far right the last one ends, against the header's container.
MENU_JS = """() => {
  const items = Array.from(document.querySelectorAll('#menu > .navbar-nav > .nav-item'));
  const container = document.querySelector('.site-header .container');
  return {tops: items.map(item => item.getBoundingClientRect().top),
          right: items[items.length - 1].getBoundingClientRect().right,
          limit: container.getBoundingClientRect().right,
          scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth};
}"""


def parent_pages(h) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each parent page and its main actions (role, accessible name)."""
    year = h.child.annual_files.get().school_year_id
    return [
        ("/", [("link", "Toutes mes factures")]),
        ("/famille/", [("link", "Ajouter un enfant"), ("button", "Inviter")]),
        ("/famille/profil/", [("button", "Enregistrer")]),
        ("/famille/entourage/", [("link", "Ajouter une personne"), ("link", "Modifier")]),
        ("/famille/historique/", []),
        ("/famille/fermer-mon-compte/", [("button", "Demander la fermeture de mon compte")]),
        ("/famille/enfants/ajouter/", [("button", "Enregistrer")]),
        (f"/famille/enfants/{h.child.pk}/modifier/", [("button", "Enregistrer")]),
        ("/famille/entourage/ajouter/", [("button", "Enregistrer")]),
        (f"/famille/entourage/{h.contact.pk}/modifier/", [("button", "Enregistrer")]),
        (f"/famille/entourage/{h.contact.pk}/supprimer/", []),
        ("/documents/", [("button", "Envoyer"), ("link", "Télécharger"),
                         ("link", "Supprimer")]),
        (f"/documents/{h.document.pk}/supprimer/", [("button", "Supprimer le document")]),
        ("/inscriptions/", [("link", "Consulter")]),
        (f"/inscriptions/dossier/{h.child.pk}/{year}/", []),
        (f"/inscriptions/inscription/{h.enrolment.pk}/retirer/", []),
        ("/reservations/", [("link", "Mois suivant"), ("button", "Réserver tous les")]),
        ("/reservations/absences/", [("link", "Justifier une absence")]),
        (f"/reservations/absence/{h.yesterday.pk}/", []),
        ("/reservations/agenda/", []),
        ("/factures/", [("link", "Télécharger le PDF"), ("link", "Comment payer"),
                        ("link", "Détail")]),
        (f"/factures/{h.to_pay.pk}/", [("link", "Télécharger le PDF")]),
        (f"/factures/{h.to_pay.pk}/paiement/", []),
        (f"/factures/{h.paid.pk}/", []),
        ("/attestations/", []),
        ("/messages/", [("heading", f"Fermeture{UNBROKEN}")]),
        ("/faq/", []),
        ("/accessibilite/", []),
        ("/compte/email/", []),
        ("/compte/password/change/", []),
    ]


PUBLIC_PAGES = ["/", "/compte/login/", "/compte/signup/", "/compte/password/reset/", "/faq/",
                "/attestations/verifier/", "/accessibilite/", "/donnees-personnelles/"]


def out_of_screen(page: Page, role: str, name: str, width: int) -> str | None:
    """Why this action is not on the screen's width, if it is not."""
    action = main(page).get_by_role(role, name=re.compile(re.escape(name))).first
    if not action.is_visible():
        return f"« {name} » not visible on {page.url}"
    box = action.bounding_box()
    if box["x"] < 0 or box["x"] + box["width"] > width:
        return f"« {name} » out of the screen on {page.url} at {width} px: {box}"
    return None


@pytest.fixture
def logged_in(browser: Browser, live_server):
    """The household, and the storage state of its guardian's session."""
    household = long_names_household()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server.url, household.guardian.user.email)
        yield household, context.storage_state()
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390])  # one test each: xdist runs them side by side
def test_no_parent_page_scrolls_sideways_on_a_phone_even_with_long_names(
        browser: Browser, live_server, logged_in, width):
    household, state = logged_in
    pages = parent_pages(household)
    faults = []
    for logged, visits in ((False, [(path, []) for path in PUBLIC_PAGES]), (True, pages)):
        faults += walk(browser, live_server, state if logged else None, width, visits)
    assert not faults, "\n".join(faults)
    # The long names were on the pages measured, not left out.
    assert household.guardian.family.name.endswith(household.guardian.last_name)


def walk(browser: Browser, live_server, state, width: int, visits) -> list[str]:
    """Visit the pages at this width (logged in with `state`, or not): what is wrong."""
    faults = []
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  storage_state=state)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        for path, actions in visits:
            response = page.goto(live_server.url + path)
            assert response.status == 200, (path, response.status)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            scroll_width, inner_width = page.evaluate(SIDEWAYS_JS)
            if scroll_width > inner_width:
                faults.append(f"{path} is {scroll_width} px wide at {inner_width} px")
            faults += filter(None, (out_of_screen(page, role, name, width)
                                    for role, name in actions))
        if state:  # the phone's menu, folded behind its button, leads to its groups' pages
            menu(page, "Factures", "Mes factures")
            expect(page.get_by_role("heading", level=1, name="Mes factures")).to_be_visible()
    finally:
        context.close()
    return faults


def test_the_menu_holds_on_one_line_and_leads_to_justifier_une_absence(
        browser: Browser, live_server, logged_in):
    """A parent's menu, and a parent who is also staff (« Gestion » more), at 1024 px and
    1280 px."""
    household, state = logged_in
    for width in (1024, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800},
                                      storage_state=state)
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(live_server.url + "/")
            assert_one_line(page, width, items=6)
            menu(page, "Réservations", "Justifier une absence")
            expect(page.get_by_role("heading", level=1, name="Justifier une absence")
                   ).to_be_visible()
            expect(main(page).get_by_role("link", name=re.compile("Justifier une absence"))
                   ).to_be_visible()
            user = household.guardian.user
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            page.goto(live_server.url + "/faq/")  # a page open to staff without their code
            assert_one_line(page, width, items=7)
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        finally:
            context.close()


def assert_one_line(page: Page, width: int, items: int) -> None:
    measured = page.evaluate(MENU_JS)
    tops = measured["tops"]
    assert len(tops) == items, measured
    assert max(tops) - min(tops) < 2, f"the menu wraps at {width} px: {measured}"
    assert measured["right"] <= measured["limit"], f"the menu overflows at {width} px: {measured}"
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
