"""Booking a Wednesday in Chromium (issue 5): a parent opens the calendar, books a day with
htmx, reads « réservé » without the page reloading, then cancels it.

Locators are accessible names (headings, buttons, the live region), as a screen reader
finds them."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from ground import french
from ground.calendar import next_month
from reservations.models import DeadlineRule, Reservation
from tests.browser import assert_every_field_is_labelled, log_in, main, menu
from tests.scenarios.calendar_month import busy_month
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
)
from tests.scenarios.families import ChildFactory, GuardianFactory
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
    day_name = french.format_day(slot.date, "l j F").capitalize()
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



# A realistic month at 390 px (tests/scenarios/calendar_month.py: Wednesdays with three units,
# canteen days, some past): the old layout, each past unit repeating its deadline, was
# 7,429 px (this month) and 6,253 px (the next) at 390 px; 4,394 and 3,665 px at 1280 px
# (docs/reservations.md, « Le calendrier sur un téléphone »).
MAX_HEIGHT = {390: 4_000, 1280: 2_900}
PAGE_JS = """() => ({height: document.documentElement.scrollHeight,
                    scrollWidth: document.documentElement.scrollWidth,
                    innerWidth: window.innerWidth})"""


@pytest.mark.parametrize("width", [390, 1280])
def test_a_month_reads_in_a_few_screens_and_a_period_is_confirmed_before_it_is_booked(
        browser, live_server, width):
    """Issue 23, item 5: measured, not looked at — the page's height for this month and the
    next (nothing folded there), no sideways scroll, the past days folded but a day to justify
    in sight, and « Réserver tous les mercredis » books nothing before its confirmation."""
    month = busy_month()
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server.url, month.guardian.user.email)
        address = f"{live_server.url}/reservations/?enfant={month.child.pk}&mois="
        for first in (next_month(month.first), month.first):
            page.goto(address + f"{first:%Y-%m}")
            measured = page.evaluate(PAGE_JS)
            assert measured["scrollWidth"] <= measured["innerWidth"], (first, measured)
            assert measured["height"] <= MAX_HEIGHT[width], (first, measured)
            assert main(page).get_by_role("button", name=re.compile(r"^Réserver –")).count()

        yesterday = french.format_day(month.yesterday.slot.date, "l j F").capitalize()
        day = main(page).get_by_role("listitem").filter(
            has=page.get_by_role("heading", level=4, name=yesterday, exact=True))
        justify = day.get_by_role("link", name=re.compile(r"^Justifier une absence"))
        expect(justify).to_be_visible()  # not folded away: it can still be justified
        assert_within(justify, width)
        past = main(page).locator("details.past-days")
        if past.count():  # the days before yesterday, if this month has any
            expect(past.first.locator("summary")).to_contain_text("Jours passés (")
            expect(past.first.get_by_role("heading", level=4).first).to_be_hidden()

        before = Reservation.objects.filter(child=month.child).count()
        main(page).get_by_role("button", name="Réserver tous les mercredis de la période").click()
        confirmation = main(page).get_by_role("region", name=re.compile("^Avant de réserver"))
        expect(confirmation).to_contain_text("jours réservés et facturés")
        confirm = confirmation.get_by_role("button", name="Confirmer la réservation")
        expect(confirm).to_be_visible()
        expect(confirmation).to_be_focused()  # the keyboard goes on from there
        assert_within(confirm, width)
        assert Reservation.objects.filter(child=month.child).count() == before
        assert page.evaluate(PAGE_JS)["scrollWidth"] <= width

        confirm.click()

        expect(main(page).locator(f"#periode-{month.period.pk}-resultat")).to_contain_text(
            "jour(s) réservé(s)")
        assert Reservation.objects.filter(child=month.child).count() > before
    finally:
        context.close()


def assert_within(locator, width: int) -> None:
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
