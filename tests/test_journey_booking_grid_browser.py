"""The front desk in Chromium (issue 25): an agent opens the booking grid from the admin's
index, ticks a whole group's week with the keyboard (the day's boxes tick their cells), books
it with « Réserver », and reads that two children went on the waiting list of the full day.
At a desktop's width and a phone's."""

import re

import pytest
from playwright.sync_api import Page, expect

from reservations.deadlines import format_date
from reservations.models import Reservation
from tests.browser import assert_every_field_is_labelled, log_in, main
from tests.scenarios.accounts import TOTP_SECRET, StaffFactory
from tests.scenarios.front_desk import column, front_desk_week

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_an_agent_books_a_group_for_a_week_and_two_wait_for_the_full_day(
        page: Page, live_server, width):
    week = front_desk_week(full_day_places=4)  # six children; Thursday has four places
    agent = StaffFactory()
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)

    log_in(page, live_server.url, agent.email, totp_secret=TOTP_SECRET)
    page.goto(live_server.url + "/gestion/")
    main(page).get_by_role("link", name="Grille des réservations (guichet)").click()
    form = main(page)
    form.get_by_label("Activité").select_option(value=str(week.activity.pk))
    form.get_by_label("Lieu d'accueil").select_option(value=str(week.site.pk))
    form.get_by_label("Semaine ou mois du").fill(week.monday.isoformat())
    form.get_by_role("button", name="Ouvrir la grille").click()

    grid = main(page).get_by_role("table")
    expect(grid).to_contain_text("6 enfants inscrits")
    assert_every_field_is_labelled(page)
    expect(main(page).get_by_label("Inscrire en liste d'attente si complet")).to_be_checked()
    # The whole week, with the keyboard: each day's box, then Space.
    for slot in week.slots:
        box = grid.locator(f'input[name="col"][value="{column(slot)}"]')
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    yanis = week.child("Yanis")
    thursday_name = format_date(week.thursday.date, "l j F")
    expect(grid.get_by_label(re.compile(rf"{yanis.first_name} {yanis.last_name}, "
                                        rf"{thursday_name}, Repas"))).to_be_checked()
    main(page).get_by_role("button", name="Réserver").click()

    expect(page.get_by_text("22 réservations, 2 en liste d'attente.")).to_be_visible()
    thursday = week.thursday
    totals = main(page).locator(f'[data-totals="{column(thursday)}"]')
    expect(totals).to_have_text("4 / 4, 2 en attente")
    for first_name, rank in (("Nina", 1), ("Yanis", 2)):
        child = week.child(first_name)
        expect(main(page).locator(f'[data-cell="{child.pk}@{column(thursday)}"]')
               ).to_contain_text(f"attente n° {rank}")
    waiting = Reservation.objects.filter(slot=thursday, state=Reservation.State.WAITING)
    assert sorted(r.child.first_name for r in waiting) == ["Nina", "Yanis"]
    assert Reservation.objects.filter(source=Reservation.Source.STAFF,
                                      updated_by=agent).count() == 24
