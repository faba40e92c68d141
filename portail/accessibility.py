"""What the accessibility statement says of its automated test
(tests/test_accessibility_browser.py), kept here so that the test holds the statement to the
truth: it fails when package.json's axe-core or the number of page states it checks no longer
match these."""

import datetime

CHECKED_ON = datetime.date(2026, 12, 7)  # the day the test was last extended or axe updated
AXE_VERSION = "4.14.1"
PAGE_STATES = 71  # pages, forms with their errors, the calendar's confirmation; at 390 and 1,280 px


def statement_context() -> dict:
    return {"checked_on": CHECKED_ON, "axe_version": AXE_VERSION, "states": PAGE_STATES}
