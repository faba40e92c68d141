"""Issue 23, item 6: one booking session, one summary per household (not one per click), sent
once the household has been quiet for the commune's minutes, through the outbox, and never
lost (reservations/services/summaries.py). Parents book through HTTP as the calendar does;
beat's job is run as beat runs it, at a chosen moment."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from familles.models import Letter
from ground.commune import commune
from ground.models import OutboxMessage
from reservations import tasks
from reservations.deadlines import format_day
from reservations.models import Reservation, SummaryLine
from reservations.services import summaries
from reservations.services.on_behalf import book_for_family
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.families import GuardianFactory
from tests.scenarios.reservations import SlotFactory, bookable_activity, ready_child
from tests.scenarios.summaries import quiet_after, send_summaries

pytestmark = pytest.mark.django_db

BOOK = reverse("reservations:book")
CANCEL = reverse("reservations:cancel")
HTMX = {"HTTP_HX_REQUEST": "true"}
TEMPLATE = "reservations_summary"


@pytest.fixture
def household(client):
    """Léa's household, two guardians with an address each, the first logged in; ten
    Wednesdays open (from the first of October)."""
    activity = bookable_activity(name="Centre de loisirs")
    booker = ready_child(activity)
    booker.child.first_name = "Léa"
    booker.child.save()
    second = GuardianFactory(family=booker.family, user__email="second-parent@example.org")
    slots = wednesdays(activity, 10)
    client.force_login(booker.user)
    return booker, second, slots, client


def wednesdays(activity, count: int) -> list:
    """`count` slots, one a week from the first Wednesday of October."""
    first = SlotFactory(activity=activity)
    return [first] + [SlotFactory(activity=activity, date=first.date + datetime.timedelta(
        weeks=n)) for n in range(1, count)]


def post(client, url, booker, slot):
    response = client.post(url, {"child": booker.child.pk, "slot": slot.pk}, **HTMX)
    assert response.status_code == 200
    return response


def summaries_written() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template=TEMPLATE).order_by("pk"))


def listed_days(message) -> list[str]:
    """The lines of the summary: « - mercredi 7 octobre – Centre de loisirs (…) : réservé »."""
    return re.findall(r"^- (.+)$", message.body_text, flags=re.MULTILINE)


def day_words(slot) -> str:
    return format_day(slot.date)


def line(slot, state: str) -> str:
    return f"{day_words(slot)} – Centre de loisirs ({slot.unit.label}) : {state}"


def test_ten_single_bookings_in_one_session_give_one_email_to_each_guardian_listing_ten_days(
        household):
    booker, second, slots, client = household
    started = timezone.now()
    for slot in slots:  # one click each, as a parent books her Wednesdays one by one
        post(client, BOOK, booker, slot)

    assert Reservation.objects.filter(child=booker.child, state="confirmed").count() == 10
    assert not summaries_written()  # nothing yet: the household may go on
    last = SummaryLine.objects.latest("at").at
    assert summaries.send_due(now=last + datetime.timedelta(minutes=1)) == 0
    assert summaries.due_households(now=started) == []

    assert summaries.send_due(now=quiet_after(last)) == 1
    [message] = summaries_written()
    assert sorted(message.to) == sorted([booker.user.email, second.user.email])
    assert message.subject == "Réservations de Léa : récapitulatif de vos changements"
    assert listed_days(message) == [line(slot, "réservé") for slot in slots]
    assert not SummaryLine.objects.exists()
    assert summaries.send_due(now=quiet_after(last)) == 0  # sent once


def test_two_sessions_further_apart_than_the_quiet_time_give_two_emails(household):
    booker, _second, slots, client = household
    morning = timezone.now()
    with time_machine.travel(morning, tick=False):
        post(client, BOOK, booker, slots[0])
        post(client, BOOK, booker, slots[1])
    later = quiet_after(morning) + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        post(client, BOOK, booker, slots[2])

    # Even when beat could only run after both (down meanwhile): two sessions, two e-mails.
    assert send_summaries() == 2
    first, second = summaries_written()
    assert [line.split(" – ")[0] for line in listed_days(first)] == [
        day_words(slots[0]), day_words(slots[1])]
    assert [line.split(" – ")[0] for line in listed_days(second)] == [day_words(slots[2])]


def test_a_session_still_going_waits_and_a_quiet_one_before_it_is_sent(household):
    booker, _second, slots, client = household
    morning = timezone.now()
    with time_machine.travel(morning, tick=False):
        post(client, BOOK, booker, slots[0])
    later = quiet_after(morning) + datetime.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        post(client, BOOK, booker, slots[1])

    assert summaries.send_due(now=later + datetime.timedelta(minutes=1)) == 1
    [message] = summaries_written()
    assert len(listed_days(message)) == 1
    assert SummaryLine.objects.get().slot == slots[1]  # the second session goes on


def test_a_day_booked_then_cancelled_in_the_session_is_said_once_with_its_final_state(
        household):
    booker, _second, slots, client = household
    post(client, BOOK, booker, slots[0])
    post(client, BOOK, booker, slots[1])
    post(client, CANCEL, booker, slots[0])

    assert send_summaries() == 1
    [message] = summaries_written()
    assert listed_days(message) == [line(slots[0], "réservé puis annulé"),
                                    line(slots[1], "réservé")]


def test_the_lines_are_in_the_database_before_any_summary_is_written(household):
    """A crash after the booking (the web process, or beat not running) loses nothing: the
    lines wait in the database, and the next flush writes them."""
    booker, _second, slots, client = household
    post(client, BOOK, booker, slots[0])
    post(client, BOOK, booker, slots[1])

    lines = SummaryLine.objects.order_by("at", "pk")
    assert [(line.household_id, line.slot_id, line.state) for line in lines] == [
        (booker.family.pk, slots[0].pk, "confirmed"), (booker.family.pk, slots[1].pk,
                                                       "confirmed")]
    assert not summaries_written()


def test_a_flush_that_fails_keeps_its_lines_for_the_next_one(household, monkeypatch):
    booker, _second, slots, client = household
    post(client, BOOK, booker, slots[0])
    write = summaries.write

    def worker_dies(*args, **kwargs):
        write(*args, **kwargs)  # the message is written, then the worker dies before commit
        raise RuntimeError("worker killed")

    monkeypatch.setattr(summaries, "write", worker_dies)
    with pytest.raises(RuntimeError):
        send_summaries()
    assert not summaries_written()
    assert SummaryLine.objects.count() == 1

    monkeypatch.setattr(summaries, "write", write)
    assert send_summaries() == 1
    assert len(summaries_written()) == 1


def test_staff_on_behalf_join_the_familys_session_and_say_what_they_did(household):
    """A phone call where the agent books two days, then the parent cancels one of them and
    books another: one e-mail, each day once, the service's lines marked."""
    booker, _second, slots, client = household
    agent = StaffFactory()
    for slot in slots[:2]:
        book_for_family(agent, booker.family, booker.child, [slot.pk], channel="phone")
    post(client, CANCEL, booker, slots[1])
    post(client, BOOK, booker, slots[2])

    assert send_summaries() == 1
    [message] = summaries_written()
    assert listed_days(message) == [line(slots[0], "réservé (par le service)"),
                                    line(slots[1], "réservé puis annulé"),
                                    line(slots[2], "réservé")]
    assert "Les changements marqués « par le service » ont été faits pour vous" in (
        message.body_text)
    assert message.subject == "Réservations de Léa : récapitulatif de vos changements"


def test_staff_alone_get_the_services_words(household):
    booker, _second, slots, _client = household
    agent = StaffFactory()
    for slot in slots[:3]:
        book_for_family(agent, booker.family, booker.child, [slot.pk], channel="phone")

    assert send_summaries() == 1
    [message] = summaries_written()
    assert message.subject == "Réservations de Léa : changements faits par le service"
    assert f"Le service {commune().service_name} a fait ces changements pour vous." in (
        message.body_text)
    assert len(listed_days(message)) == 3
    assert "(par le service)" not in message.body_text  # said once, above


def test_a_household_by_post_gets_one_letter_per_session_not_per_click():
    activity = bookable_activity()
    booker = ready_child(activity, guardian=GuardianFactory(user=None))
    slots = wednesdays(activity, 3)
    agent = StaffFactory()
    for slot in slots:  # at the counter, one day after the other
        book_for_family(agent, booker.family, booker.child, [slot.pk], channel="counter")

    assert send_summaries() == 1
    [letter] = Letter.objects.filter(family=booker.family)
    assert letter.template == TEMPLATE
    assert all(day_words(slot) in letter.body_text for slot in slots)
    assert not summaries_written()


def test_shared_custody_each_household_its_own_summary(household):
    booker, _second, slots, client = household
    fathers = GuardianFactory(user__email="pere@example.org").family
    booker.child.second_family = fathers
    booker.child.save()
    post(client, BOOK, booker, slots[0])

    assert send_summaries() == 2
    assert sorted(tuple(m.to) for m in summaries_written()) == sorted([
        tuple(sorted([booker.user.email, "second-parent@example.org"])),
        ("pere@example.org",)])


def test_with_no_quiet_time_each_action_is_sent_at_once(
        household, django_capture_on_commit_callbacks):
    """The commune's 0 (and the demo's, which runs no beat): each action's summary right
    after its commit, by the task queued then (run in the request, as `make run` runs
    tasks)."""
    booker, _second, slots, client = household
    row = commune()
    row.booking_summary_minutes = 0
    row.save()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, BOOK, booker, slots[0])
    assert len(summaries_written()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        post(client, BOOK, booker, slots[1])
    assert [len(listed_days(m)) for m in summaries_written()] == [1, 1]
    assert not SummaryLine.objects.exists()


def test_staff_set_the_quiet_minutes_in_the_communes_settings(household):
    booker, _second, slots, client = household
    row = commune()
    row.booking_summary_minutes = 30
    row.save()
    with time_machine.travel(timezone.now(), tick=False):
        post(client, BOOK, booker, slots[0])
        now = timezone.now()
    assert summaries.send_due(now=now + datetime.timedelta(minutes=29)) == 0
    assert summaries.send_due(now=now + datetime.timedelta(minutes=30)) == 1


def test_beat_sends_the_summaries_every_minute(household):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "reservations.tasks.send_booking_summaries")
    assert entry["schedule"] <= 60
    booker, _second, slots, client = household
    with time_machine.travel(timezone.now() - summaries.quiet_time(), tick=False):
        post(client, BOOK, booker, slots[0])
    assert tasks.send_booking_summaries() == 1
    assert len(summaries_written()) == 1
