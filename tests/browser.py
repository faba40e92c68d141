"""Helpers shared by the Chromium journeys."""

import re
import time

from playwright.sync_api import Page, expect

from tests.helpers import totp_code
from tests.scenarios.accounts import PASSWORD

UNLABELLED_FIELDS_JS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !el.closest('label'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""


def assert_every_field_is_labelled(page: Page) -> None:
    unlabelled = page.evaluate(UNLABELLED_FIELDS_JS)
    assert unlabelled == [], f"fields without a label on {page.url}: {unlabelled}"


def field(text: str) -> re.Pattern:
    """A field's label, exactly, with the asterisk of a required field. (get_by_label matches a
    pattern against the label's raw text, template whitespace included.)"""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def main(page: Page):
    """The page's main landmark, where every journey reads and acts."""
    return page.get_by_role("main")


def log_in(page: Page, base_url: str, email: str, password: str = PASSWORD,
           totp_secret: str | None = None) -> None:
    """Log in through the real form, as a parent or a staff member does; a staff member then
    types the code of his authenticator app (totp_secret: his device's key)."""
    page.goto(base_url + "/compte/login/")
    main(page).get_by_label(re.compile(r"^Adresse e-mail", re.I)).fill(email)
    main(page).get_by_label(re.compile(r"^Mot de passe", re.I)).fill(password)
    main(page).get_by_role("button", name="Je me connecte").click()
    expect(page).not_to_have_url(re.compile(r"/compte/login/"))
    if totp_secret:
        expect(page).to_have_url(re.compile(r"/compte/2fa/authenticate/"))
        left = 30 - time.time() % 30
        if left < 5:  # the server allows no drift: not a code about to expire
            time.sleep(left + 0.5)
        code = main(page).locator("input[name=code]")
        code.fill(totp_code(totp_secret))
        code.press("Enter")
        expect(page).not_to_have_url(re.compile(r"/compte/2fa/authenticate/"))


def menu(page: Page, group: str, item: str) -> None:
    """Follow an item of the main menu's group (« Ma famille », « Réservations »,
    « Factures »), as a parent does: the phone's menu button first when it is shown."""
    nav = page.get_by_role("navigation", name="Menu principal")
    toggler = nav.get_by_role("button", name="Ouvrir le menu")
    if toggler.is_visible():
        toggler.click()
    nav.get_by_role("button", name=group, exact=True).click()
    nav.get_by_role("link", name=item, exact=True).click()
