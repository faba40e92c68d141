"""Booking a Wednesday in Chromium (issue 5): a parent opens the calendar, books a day with
htmx, reads « réservé » without the page reloading, then cancels it.

Locators are accessible names (headings, buttons, the live region), as a screen reader
finds them."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from ground import french
from reservations.models import DeadlineRule, Reservation
from tests.browser import assert_every_field_is_labelled, log_in, main, menu
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
)
from tests.scenarios.families import ChildFactory, GuardianFactory
from ground.calendar import next_month
from tests.scenarios.calendar_month import busy_month
from tests.scenarios.reservations import BookingPeriodFactory, DeadlineRuleFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_parent_books_a_wednesday_and_cancels_it(page: Page, live_server):
    guardian = GuardianFactory(first_name="Morgane")
    year = SchoolYearFactory()
    child = ChildFactory(family=guardian.family, first_name="Léa",
                         birth_date=datetime.date(year.start_date.year - 8, 5, 2))
    AnnualFileFactory(child=child, school_year=year, validated=True)
    activity = ActivityFactory(school_year=year, name="Accueil de loisirs du mercredi")
    DeadlineRuleFactory(activity=activity, kind=DeadlineRule.Kind.PREVIOUS_WEEKDAY, weekday=2,
                        time=datetime.time(12, 0))
    BookingPeriodFactory(activity=activity)
    EnrolmentFactory(child=child, activity=activity)
    slot = SlotFactory(activity=activity, capacity=12)
    day_name = french.format_day(slot.date, "l j F Y").capitalize()
    page.set_default_timeout(15_000)

    log_in(page, live_server.url, guardian.user.email)
    menu(page, "Réservations", "Calendrier des réservations")
    expect(page.get_by_role("heading", level=1, name="Réservations")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Calendrier de Léa")
    assert_every_field_is_labelled(page)
    day = main(page).get_by_role("listitem").filter(
        has=page.get_by_role("heading", level=4, name=day_name))
    expect(day).to_contain_text("disponible")
    expect(day).to_contain_text("Réserver ou annuler jusqu'au")
    page.evaluate("window.notReloaded = true")

    day.get_by_role("button", name=re.compile(r"^Réserver")).press("Enter")  # the keyboard

    expect(day).to_contain_text("réservé")
    expect(day).to_be_focused()  # the keyboard goes on from the day changed (issue 23)
    expect(page.locator("#calendar-status")).to_contain_text("(Journée) : réservé")
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the day in place
    reservation = Reservation.objects.get(child=child, slot=slot)
    assert reservation.state == Reservation.State.CONFIRMED

    day.get_by_role("button", name=re.compile(r"^Annuler")).click()

    expect(day).to_contain_text("annulé")
    expect(day).to_be_focused()
    expect(day.get_by_role("button", name=re.compile(r"^Réserver"))).to_be_visible()
    expect(page.locator("#calendar-status")).to_contain_text("(Journée) : annulé")
    assert page.evaluate("window.notReloaded") is True
    reservation.refresh_from_db()
    assert reservation.state == Reservation.State.CANCELLED


# A month of Wednesdays (three units) and canteen days at 390 px (issue 23, item 5): the old
# layout, each past unit repeating its deadline, measured 0 px (docs/reservations.md).
HEIGHT_JS = "() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth, window.innerWidth]"


@pytest.mark.parametrize("width", [390, 1280])
def test_a_month_reads_in_a_few_screens(browser, live_server, width):
    month = busy_month()
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server.url, month.guardian.user.email)
        for first in (month.first, next_month(month.first)):
            page.goto(f"{live_server.url}/reservations/?enfant={month.child.pk}&mois={first:%Y-%m}")
            height, scroll_width, inner_width = page.evaluate(HEIGHT_JS)
            print(width, first, height)
            page.screenshot(path=f"/tmp/cal-{width}-{first:%m}.png", full_page=True)
            assert scroll_width <= inner_width
    finally:
        context.close()
