"""Helpers shared by the Chromium journeys."""

import re

from playwright.sync_api import Page

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
