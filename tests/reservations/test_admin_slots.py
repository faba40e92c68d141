"""The staff's configuration in the admin (/gestion/): deadline rules, booking periods, slots
(capacity, closing, reopening, generation), reservations and closure days. Every change of
places goes through the services: raising a capacity serves the waiting list, closing a day
cancels its reservations and tells the families."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ground.models import OutboxMessage
from inscriptions.calendar import activity_days
from reservations.models import Reservation, Slot
from tests.helpers import flash_messages, page_text, visible_text
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.reservations import (
    BookingPeriodFactory,
    CapacityRuleFactory,
    DeadlineRuleFactory,
    ReservationFactory,
    SlotFactory,
)

SLOTS = "/gestion/reservations/slot/"
RESERVATIONS = "/gestion/reservations/reservation/"


@pytest.fixture
def full_slot(slot, booker):
    """The `slot` fixture with one place, taken; a second family waits for it."""
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    slot.refresh_from_db()
    taken = ReservationFactory(slot=slot, child__family=booker.family)
    waiting = ReservationFactory(slot=slot, child=booker.child,
                                 state=Reservation.State.WAITING,
                                 waiting_since=timezone.now())
    return slot, taken, waiting


def action(client, name, slots, **data):
    return client.post(SLOTS, {"action": name, "index": "0",
                               "_selected_action": [s.pk for s in slots], **data}, follow=True)


# Capacity ------------------------------------------------------------------------------------

def test_raising_capacity_through_the_admin_promotes_the_waiting_reservation(
        staff_client, full_slot, booker):
    slot, _taken, waiting = full_slot
    page = action(staff_client, "change_capacity", [slot])
    assert "Nouveau nombre de places" in visible_text(page)  # the form comes first
    waiting.refresh_from_db()
    assert waiting.state == Reservation.State.WAITING

    response = action(staff_client, "change_capacity", [slot], capacity="2")
    assert any("Capacité modifiée pour 1 créneau" in m for m in flash_messages(response))
    slot.refresh_from_db()
    waiting.refresh_from_db()
    assert (slot.capacity, slot.booked) == (2, 2)
    assert waiting.state == Reservation.State.CONFIRMED
    message = OutboxMessage.objects.get(template="reservation_promoted")
    assert message.to == [booker.user.email]


def test_capacity_cannot_go_below_the_confirmed_places(staff_client, full_slot):
    slot, _taken, _waiting = full_slot
    url = reverse("admin:reservations_slot_capacity", args=[slot.pk])
    response = staff_client.post(url, {"capacity": "0"}, follow=True)
    assert any("ne peut pas descendre" in m for m in flash_messages(response))
    slot.refresh_from_db()
    assert slot.capacity == 1


def test_the_slot_form_cannot_change_places_raw(staff_client, full_slot):
    slot, _taken, _waiting = full_slot
    change_url = f"{SLOTS}{slot.pk}/change/"
    page = staff_client.get(change_url)
    assert page.status_code == 200
    assert 'name="capacity"' not in page_text(page)  # read-only
    assert reverse("admin:reservations_slot_capacity", args=[slot.pk]) in page_text(page)
    staff_client.post(change_url, {"capacity": "5", "closed": "on"})
    slot.refresh_from_db()
    assert (slot.capacity, slot.closed) == (1, False)


# Closing and reopening -----------------------------------------------------------------------

def test_closing_through_the_admin_cancels_and_emails(staff_client, full_slot, booker):
    slot, _taken, _waiting = full_slot
    page = action(staff_client, "close_selected", [slot])
    assert "Motif de fermeture" in visible_text(page)
    slot.refresh_from_db()
    assert not slot.closed

    response = action(staff_client, "close_selected", [slot], reason="Grève")
    assert any("2 réservation(s) annulée(s)" in m for m in flash_messages(response))
    slot.refresh_from_db()
    assert slot.closed and slot.closed_reason == "Grève" and slot.booked == 0
    states = set(Reservation.objects.filter(slot=slot).values_list("state", flat=True))
    assert states == {Reservation.State.CANCELLED}
    messages = OutboxMessage.objects.filter(template="slot_closed")
    assert messages.count() == 2
    assert all("Grève" in m.body_text for m in messages)
    assert [booker.user.email] in [m.to for m in messages]
    assert "fermé : Grève" in visible_text(staff_client.get(SLOTS))


def test_reopening_through_the_admin(staff_client, slot):
    Slot.objects.filter(pk=slot.pk).update(closed=True, closed_reason="Travaux")
    response = action(staff_client, "reopen_selected", [slot])
    assert any("1 créneau(x) rouvert(s)" in m for m in flash_messages(response))
    slot.refresh_from_db()
    assert not slot.closed and slot.closed_reason == ""


def test_closing_one_slot_from_its_page(staff_client, full_slot):
    slot, _taken, _waiting = full_slot
    url = reverse("admin:reservations_slot_close", args=[slot.pk])
    assert staff_client.get(url).status_code == 200
    staff_client.post(url, {"reason": "Sortie annulée"})
    slot.refresh_from_db()
    assert slot.closed and slot.closed_reason == "Sortie annulée"
    assert OutboxMessage.objects.filter(template="slot_closed").count() == 2


# Generation ----------------------------------------------------------------------------------

def test_generate_slots_page(staff_client):
    activity = ActivityFactory()
    CapacityRuleFactory(activity=activity, capacity=24)
    changelist = staff_client.get(SLOTS)
    generate = reverse("admin:reservations_slot_generate")
    assert generate in page_text(changelist)
    assert "Générer les créneaux" in visible_text(changelist)

    year = activity.school_year
    first, last = year.start_date, year.start_date + datetime.timedelta(days=60)
    response = staff_client.post(generate, {"activity": activity.pk, "first": first.isoformat(),
                                            "last": last.isoformat()}, follow=True)
    expected = activity_days(activity, first, last)
    assert expected  # a Wednesday leisure centre runs in two months
    assert f"{len(expected)} créneaux créés" in " ".join(flash_messages(response))
    slots = Slot.objects.filter(activity=activity)
    assert sorted(slots.values_list("date", flat=True)) == expected
    assert set(slots.values_list("capacity", flat=True)) == {24}

    again = staff_client.post(generate, {"activity": activity.pk}, follow=True)
    rest = len(activity_days(activity)) - len(expected)
    assert f"{rest} créneaux créés" in " ".join(flash_messages(again))


def test_generate_slots_says_what_is_missing(staff_client):
    activity = ActivityFactory()  # no capacity rule yet
    response = staff_client.post(reverse("admin:reservations_slot_generate"),
                                 {"activity": activity.pk})
    assert response.status_code == 400
    assert "Indiquez d'abord les places par lieu" in visible_text(response)
    assert not Slot.objects.exists()


# Reservations --------------------------------------------------------------------------------

def test_staff_cancel_releases_the_place_to_the_waiting_list(staff_client, full_slot, booker):
    _slot, taken, waiting = full_slot
    page = staff_client.get(RESERVATIONS)
    assert page.status_code == 200
    assert "En liste d'attente" in visible_text(page)
    response = staff_client.post(RESERVATIONS, {
        "action": "cancel_late", "index": "0", "_selected_action": [taken.pk]}, follow=True)
    assert any("1 réservation annulée" in m for m in flash_messages(response))
    taken.refresh_from_db()
    waiting.refresh_from_db()
    assert taken.state == Reservation.State.CANCELLED and taken.cancelled_late
    assert waiting.state == Reservation.State.CONFIRMED
    assert OutboxMessage.objects.filter(template="reservation_promoted").count() == 1
    told = OutboxMessage.objects.get(template="reservation_cancelled_by_staff")
    assert told.to == [taken.child.family.guardians.first().user.email]
    assert "Le service a annulé la réservation" in told.body_text
    assert "reste facturé" in told.body_text


def test_staff_cancel_in_time_tells_the_family_it_is_not_billed(staff_client, full_slot):
    _slot, taken, _waiting = full_slot
    staff_client.post(RESERVATIONS, {
        "action": "cancel_in_time", "index": "0", "_selected_action": [taken.pk]})
    taken.refresh_from_db()
    assert taken.state == Reservation.State.CANCELLED and not taken.cancelled_late
    told = OutboxMessage.objects.get(template="reservation_cancelled_by_staff")
    assert "ne vous sera pas facturé" in told.body_text


def test_reservations_cannot_be_edited_raw(staff_client, full_slot):
    _slot, taken, _waiting = full_slot
    page = staff_client.get(f"{RESERVATIONS}{taken.pk}/change/")
    assert page.status_code == 200
    assert 'name="state"' not in page_text(page)
    staff_client.post(f"{RESERVATIONS}{taken.pk}/change/", {"state": "cancelled"})
    taken.refresh_from_db()
    assert taken.state == Reservation.State.CONFIRMED


# Closure days --------------------------------------------------------------------------------

def test_saving_a_closure_day_closes_that_days_slots(staff_client, full_slot, activity):
    slot, taken, _waiting = full_slot
    other_day = SlotFactory(activity=activity, date=slot.date + datetime.timedelta(days=7))
    response = staff_client.post(reverse("admin:inscriptions_closureday_add"), {
        "school_year": activity.school_year.pk, "date": slot.date.isoformat(),
        "activity": "", "label": "Pont de l'Ascension"}, follow=True)
    assert any("1 créneau fermé ce jour-là" in m for m in flash_messages(response))
    slot.refresh_from_db()
    other_day.refresh_from_db()
    assert slot.closed and slot.closed_reason == "Pont de l'Ascension"
    assert not other_day.closed
    taken.refresh_from_db()
    assert taken.state == Reservation.State.CANCELLED
    assert OutboxMessage.objects.filter(template="slot_closed").count() == 2


# Deadline rules and periods ------------------------------------------------------------------

def test_deadline_rules_are_listed_in_words(staff_client):
    rule = DeadlineRuleFactory()
    text = visible_text(staff_client.get("/gestion/reservations/deadlinerule/"))
    assert rule.activity.name in text and rule.describe() in text


def test_booking_periods_say_whether_they_are_open(staff_client):
    open_one = BookingPeriodFactory(label="Mercredis d'automne")
    future = BookingPeriodFactory(label="Vacances de la Toussaint",
                                  opens_at=timezone.now() + datetime.timedelta(days=3))
    page = staff_client.get("/gestion/reservations/bookingperiod/")
    rows = {line.split("</tr>")[0] for line in page_text(page).split("<tr")}
    open_row = next(r for r in rows if open_one.label in r)
    future_row = next(r for r in rows if future.label in r)
    assert ">ouverte<" in open_row
    assert "pas encore ouverte (ouvre le" in future_row


def test_a_weekday_rule_needs_its_weekday(staff_client):
    activity = ActivityFactory()
    response = staff_client.post("/gestion/reservations/deadlinerule/add/", {
        "activity": activity.pk, "kind": "weekday", "days": "0", "weekday": "",
        "time": "12:00"})
    assert response.status_code == 200
    assert "Choisissez le jour de la semaine." in visible_text(response)


def test_every_configuration_page_opens(staff_client, full_slot, activity):
    CapacityRuleFactory(activity=activity)
    for model in ("deadlinerule", "bookingperiod", "agegroup", "capacityrule", "slot",
                  "reservation", "absencejustification"):
        url = f"/gestion/reservations/{model}/"
        assert staff_client.get(url).status_code == 200, url
        assert staff_client.get(url, {"q": "Lou"}).status_code == 200, url
    for model in ("deadlinerule", "bookingperiod", "agegroup", "capacityrule", "slot"):
        url = f"/gestion/reservations/{model}/add/"
        assert staff_client.get(url).status_code == 200, url
    assert staff_client.get("/gestion/inscriptions/closureday/").status_code == 200
    assert staff_client.get(reverse("admin:reservations_slot_generate")).status_code == 200
