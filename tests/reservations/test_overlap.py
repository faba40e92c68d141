"""Issue 23, item 3: one child, one place at a time. Units whose hours meet cannot both be
booked for the same child on one day, whichever way the booking comes (a parent's day, a
bulk booking, the service's grid or on-behalf booking); the refusal names the booking that
conflicts; the calendar does not offer such a unit, at no query more."""

import datetime

import pytest
import tinyhtml5
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ground import french
from inscriptions.models import ActivityUnit
from reservations.models import Reservation
from reservations.rules import overlap_refusal, units_overlap
from reservations.services import booking
from reservations.services.front_desk import book_cells
from reservations.services.on_behalf import book_for_family
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.overlap import overlapping_wednesday
from tests.scenarios.reservations import SlotFactory, ready_child

pytestmark = pytest.mark.django_db

CALENDAR = reverse("reservations:calendar")


def day_block(response, activity, day) -> str:
    """The words a parent reads in one day's block (found by its id)."""
    wanted = f"jour-{activity.pk}-{day:%Y%m%d}"
    for element in tinyhtml5.parse(response.content.decode()).iter():
        if element.get("id") == wanted:
            return " ".join("".join(element.itertext()).split())
    raise AssertionError(f"no block {wanted} in the page")


def unit(label, start=None, end=None, pk=None):
    return ActivityUnit(pk=pk, label=label,
                        starts_at=start and datetime.time.fromisoformat(start),
                        ends_at=end and datetime.time.fromisoformat(end))


def test_hours_that_meet_overlap_hours_that_touch_do_not():
    day = unit("Journée", "08:30", "17:30", pk=1)
    morning = unit("Matin", "08:30", "12:00", pk=2)
    afternoon = unit("Après-midi", "12:00", "17:30", pk=3)
    assert units_overlap(day, morning) and units_overlap(morning, day)
    assert units_overlap(day, afternoon)
    assert not units_overlap(morning, afternoon)  # 12 h: one ends as the other starts
    # Without hours, a unit is compared with no other, but is the same as itself.
    meal = unit("Repas", pk=4)
    assert not units_overlap(meal, day) and not units_overlap(day, meal)
    assert units_overlap(meal, unit("Repas", pk=4))


def day_words(day) -> str:
    return french.format_day(day, "l j F")


def test_a_morning_within_the_booked_day_is_refused_naming_the_day():
    w = overlapping_wednesday()
    b = w.booker
    (day,) = booking.book(b.family, b.child.pk, [w.slot("ALSH", "Journée").pk], b.user)
    assert day.state == "confirmed"
    (morning,) = booking.book(b.family, b.child.pk, [w.slot("ALSH", "Matin").pk], b.user)
    assert morning.state == "refused"
    assert morning.message == (
        f"Léa est déjà réservée le {day_words(w.day)} en Journée (ALSH, 8 h 30 – 17 h 30), "
        "qui chevauche Matin (8 h 30 – 12 h).")
    (passerelle,) = booking.book(b.family, b.child.pk, [w.slot("Passerelle", "Après-midi").pk],
                                 b.user)
    assert passerelle.state == "refused" and "en Journée (ALSH" in passerelle.message
    assert set(Reservation.objects.filter(child=b.child).values_list(
        "slot__unit__label", flat=True)) == {"Journée"}


def test_a_morning_and_an_afternoon_that_touch_are_both_booked():
    w = overlapping_wednesday()
    b = w.booker
    outcomes = booking.book(b.family, b.child.pk, [w.slot("ALSH", "Matin").pk,
                                                   w.slot("ALSH", "Après-midi avec repas").pk],
                            b.user)
    assert [o.state for o in outcomes] == ["confirmed", "confirmed"]


def test_a_waiting_request_holds_its_hours_too():
    w = overlapping_wednesday()
    b = w.booker
    journee = w.slot("ALSH", "Journée")
    journee.capacity = 0
    journee.save()
    (waiting,) = booking.book(b.family, b.child.pk, [journee.pk], b.user, join_waiting_list=True)
    assert waiting.state == "waiting"
    (morning,) = booking.book(b.family, b.child.pk, [w.slot("ALSH", "Matin").pk], b.user)
    assert morning.state == "refused"
    assert morning.message.startswith(f"Léa est déjà en liste d'attente le {day_words(w.day)}")


def test_two_overlapping_units_asked_at_once_the_first_only_is_booked():
    w = overlapping_wednesday()
    b = w.booker
    journee, morning = w.slot("ALSH", "Journée"), w.slot("ALSH", "Matin")
    outcomes = {o.slot.pk: o for o in booking.book(
        b.family, b.child.pk, [morning.pk, journee.pk], b.user)}
    # Taken in slot order: the « Journée » (created first) is booked, the « Matin » refused.
    assert outcomes[journee.pk].state == "confirmed"
    assert outcomes[morning.pk].state == "refused"
    assert outcomes[morning.pk].message == (
        f"Le {day_words(w.day)}, Léa ne peut pas être à la fois en Journée (ALSH, 8 h 30 – "
        "17 h 30) et en Matin (8 h 30 – 12 h), demandés ensemble.")
    assert Reservation.objects.filter(child=b.child).count() == 1


def test_the_service_cannot_book_an_overlap_either_even_past_the_limits():
    w = overlapping_wednesday()
    b = w.booker
    agent = StaffFactory()
    booking.book(b.family, b.child.pk, [w.slot("ALSH", "Journée").pk], b.user)
    (outcome,) = book_for_family(agent, b.family, b.child, [w.slot("ALSH", "Matin").pk],
                                 channel="phone")
    assert outcome.state == "refused" and "en Journée (ALSH" in outcome.message
    report = book_cells(w.passerelle, w.passerelle.sites.first(),
                        [(b.child.pk, w.slot("Passerelle", "Après-midi").pk)], agent,
                        reason="Demande au guichet")
    assert report.booked == 0
    assert len(report.refused) == 1 and "qui chevauche Après-midi" in report.refused[0]
    assert Reservation.objects.filter(child=b.child).count() == 1


def test_a_brother_is_not_held_by_his_sisters_day():
    w = overlapping_wednesday()
    b = w.booker
    brother = ready_child(w.alsh, b.guardian).child
    done = booking.book_children(b.family, [
        (b.child, booking.load_slots([w.slot("ALSH", "Journée").pk])),
        (brother, booking.load_slots([w.slot("ALSH", "Matin").pk]))], b.user)
    assert [[o.state for o in result.outcomes] for result in done] == [
        ["confirmed"], ["confirmed"]]
    assert not overlap_refusal(brother, w.slot("ALSH", "Matin"), [])


def test_without_hours_units_of_one_day_are_all_booked():
    """The documented rule: a unit without hours is compared with no other."""
    w = overlapping_wednesday(hours=False)
    b = w.booker
    outcomes = booking.book(b.family, b.child.pk, [w.slot("ALSH", "Journée").pk,
                                                   w.slot("ALSH", "Matin").pk], b.user)
    assert [o.state for o in outcomes] == ["confirmed", "confirmed"]


def open_day(client, w):
    return client.get(CALENDAR, {"enfant": w.child.pk, "mois": f"{w.day:%Y-%m}"})


def test_the_calendar_does_not_offer_a_unit_at_the_same_time_and_says_why(client):
    w = overlapping_wednesday()
    b = w.booker
    client.force_login(b.user)
    booking.book(b.family, b.child.pk, [w.slot("ALSH", "Matin").pk], b.user)
    page = open_day(client, w)
    alsh = day_block(page, w.alsh, w.day)
    # Short: the day, the child and the activity are on screen already.
    assert "Journée indisponible chevauche Matin (8 h 30 – 12 h), déjà réservé" in alsh
    assert "Après-midi avec repas disponible" in alsh
    # The Passerelle's afternoon (13 h 30) meets no morning: still offered.
    assert "Après-midi disponible" in day_block(page, w.passerelle, w.day)
    html = page.content.decode()
    assert f'name="slot" value="{w.slot("ALSH", "Journée").pk}"' not in html
    assert f'name="slot" value="{w.slot("ALSH", "Après-midi avec repas").pk}"' in html


def test_the_calendar_reads_no_more_to_say_so(client):
    """The same number of queries whether the day holds an overlap or not."""
    counts = []
    for hours in (False, True):
        w = overlapping_wednesday(hours=hours)
        b = w.booker
        client.force_login(b.user)
        booking.book(b.family, b.child.pk, [w.slot("ALSH", "Matin").pk], b.user)
        open_day(client, w)  # caches warmed
        with CaptureQueriesContext(connection) as queries:
            page = open_day(client, w)
        counts.append(len(queries))
        assert ("indisponible" in day_block(page, w.alsh, w.day)) is hours
    assert counts[0] == counts[1]


def booking_queries(hours: bool, days: int) -> list[str]:
    """The statements of booking `days` Wednesdays' « Matin » (notify=False)."""
    w = overlapping_wednesday(hours=hours)
    b = w.booker
    morning = w.slot("ALSH", "Matin")
    slots = [morning] + [SlotFactory(activity=w.alsh, unit=morning.unit,
                                     date=w.day + datetime.timedelta(weeks=week))
                         for week in range(1, days)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = booking.book(b.family, b.child.pk, [s.pk for s in slots], b.user,
                                notify=False)
    assert [o.state for o in outcomes] == ["confirmed"] * days
    return [q["sql"] for q in queries]


@pytest.mark.postgres  # elsewhere days are booked one by one, and nothing is locked
def test_the_check_costs_a_fixed_number_of_statements_whatever_the_days():
    untimed, timed = booking_queries(False, 1), booking_queries(True, 1)
    assert len(booking_queries(True, 4)) == len(timed)
    # The child's lock and what he holds, read once.
    extra = [sql for sql in timed if "FOR UPDATE" in sql and "familles_child" in sql]
    assert len(extra) == 1
    # Its savepoint (a transaction outside tests), the lock timeout, the lock, the read:
    # five statements more than a day without hours, once per child and booking.
    assert len(timed) - len(untimed) <= 5


def test_a_stale_page_booking_an_overlap_gets_the_sentence_in_its_answer(client):
    w = overlapping_wednesday()
    b = w.booker
    client.force_login(b.user)
    booking.book(b.family, b.child.pk, [w.slot("ALSH", "Journée").pk], b.user)
    answer = client.post(reverse("reservations:book"), {
        "child": b.child.pk, "slot": w.slot("ALSH", "Matin").pk, "mois": f"{w.day:%Y-%m}"},
        HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    words = " ".join(answer.content.decode().split())
    assert (f"Léa est déjà réservée le {day_words(w.day)} en Journée (ALSH, 8 h 30 – "
            "17 h 30), qui chevauche Matin (8 h 30 – 12 h).") in words.replace("&#x27;", "'")
    assert Reservation.objects.filter(child=b.child).count() == 1


def test_booking_every_wednesday_of_the_period_leaves_out_the_day_already_held(client):
    w = overlapping_wednesday()
    b = w.booker
    client.force_login(b.user)
    morning = w.slot("ALSH", "Matin")
    later = SlotFactory(activity=w.alsh, unit=morning.unit,
                        date=w.day + datetime.timedelta(weeks=1))
    booking.book(b.family, b.child.pk, [w.slot("ALSH", "Journée").pk], b.user)
    period = w.alsh.booking_periods.get()
    answer = client.post(reverse("reservations:book_period"), {
        "confirm": "1",
        "child": b.child.pk, "period": period.pk, "unit": morning.unit.pk, "weekday": "2",
        "mois": f"{w.day:%Y-%m}"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    held = set(Reservation.objects.filter(child=b.child).values_list("slot_id", flat=True))
    assert held == {w.slot("ALSH", "Journée").pk, later.pk}
    assert "qui chevauche Matin" in " ".join(answer.content.decode().split())


def test_the_days_answer_to_a_click_knows_what_the_child_holds_in_another_activity(client):
    w = overlapping_wednesday()
    b = w.booker
    client.force_login(b.user)
    booking.book(b.family, b.child.pk, [w.slot("Passerelle", "Après-midi").pk], b.user)
    answer = client.post(reverse("reservations:book"), {
        "child": b.child.pk, "slot": w.slot("ALSH", "Matin").pk, "mois": f"{w.day:%Y-%m}"},
        HTTP_HX_REQUEST="true")
    alsh = day_block(answer, w.alsh, w.day)
    assert "Matin réservé" in alsh
    assert ("Après-midi avec repas indisponible chevauche Après-midi (Passerelle, "
            "13 h 30 – 17 h 30), déjà réservé") in alsh
