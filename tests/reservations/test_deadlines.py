"""Deadline rules, enforced on the server in Europe/Paris whatever the page showed: working
days skip weekends and public holidays, 10 h stays 10 h on both sides of the daylight-saving
change, and the last second before the deadline is accepted while the deadline itself is not."""

import datetime
import zoneinfo

import pytest
import time_machine
from dateutil.easter import easter
from django.urls import reverse
from django.utils import timezone

from ground.calendar import public_holiday
from reservations.deadlines import deadline_for, deadline_sentence, describe
from reservations.models import DeadlineRule, Reservation
from reservations.services import cancel
from tests.helpers import flash_messages, visible_text
from tests.scenarios.enrolments import SchoolYearFactory
from tests.scenarios.reservations import SlotFactory, book_as, bookable_activity, ready_child

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = datetime.UTC
ONE_SECOND = datetime.timedelta(seconds=1)

# What a French reader expects, written out here rather than borrowed from the code.
JOURS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre"]

pytestmark = pytest.mark.django_db


def paris(day: datetime.date, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute, second), tzinfo=PARIS)


def en_francais(day: datetime.date, hour: str) -> str:
    first = "1er" if day.day == 1 else day.day  # « le 1er juin », never « le 1 juin »
    return f"{JOURS[day.weekday()]} {first} {MOIS[day.month - 1]} {day.year} à {hour}"


def next_weekday(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def last_sunday(year: int, month: int) -> datetime.date:
    first_of_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    last = first_of_next - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=(last.weekday() + 1) % 7)


def rule_of(activity) -> DeadlineRule:
    return DeadlineRule.objects.get(activity=activity)


def boundary(activity, day, deadline):
    """Book the day one second before the deadline (one family) and at the deadline (another
    family): what the server answers each of them."""
    slot = SlotFactory(activity=activity, date=day, capacity=10)
    early, late = ready_child(activity), ready_child(activity)
    with time_machine.travel(deadline - ONE_SECOND, tick=False):
        before = book_as(early, slot)
    with time_machine.travel(deadline, tick=False):
        after = book_as(late, slot)
    return slot, early, late, before, after


@pytest.fixture
def school_year(db):
    """Next school year, pinned: the factory's sequence would run past 2100 in a long session,
    where the `holidays` package knows no holiday at all."""
    return SchoolYearFactory(start_year=timezone.localdate().year + 1)


@pytest.fixture
def activity(school_year):
    """The Wednesday leisure centre ("2 jours ouvrés avant, 10 h") of that year."""
    return bookable_activity(school_year=school_year)


@pytest.fixture
def canteen(school_year):
    """The canteen: "2 jours ouvrés avant, 10 h"."""
    return bookable_activity(canteen=True, school_year=school_year)


def test_monday_deadline_is_the_previous_thursday_at_ten(canteen):
    year = canteen.school_year.start_date.year
    monday = next_weekday(datetime.date(year, 10, 4), 0)
    thursday = monday - datetime.timedelta(days=4)
    assert not public_holiday(thursday) and not public_holiday(thursday + datetime.timedelta(1))

    assert deadline_for(rule_of(canteen), monday) == paris(thursday, 10)

    slot, early, _late, before, after = boundary(canteen, monday, paris(thursday, 10))
    assert before.state == "confirmed"
    assert after.state == "refused"
    assert after.message == (
        f"Hors délai : il fallait réserver ou annuler avant le "
        f"{en_francais(thursday, '10 h')} (2 jours ouvrés avant, 10 h).")
    assert list(Reservation.objects.filter(slot=slot).values_list("child", "state")) == [
        (early.child.pk, Reservation.State.CONFIRMED)]
    slot.refresh_from_db()
    assert slot.booked == 1


def test_cancelling_follows_the_same_deadline(canteen):
    year = canteen.school_year.start_date.year
    monday = next_weekday(datetime.date(year, 10, 4), 0)
    deadline = paris(monday - datetime.timedelta(days=4), 10)
    slot = SlotFactory(activity=canteen, date=monday)
    first, second = ready_child(canteen), ready_child(canteen)
    with time_machine.travel(deadline - datetime.timedelta(days=3), tick=False):
        assert book_as(first, slot).state == "confirmed"
        assert book_as(second, slot).state == "confirmed"

    with time_machine.travel(deadline - ONE_SECOND, tick=False):
        [in_time] = cancel(first.family, first.child.pk, [slot.pk], first.user)
    with time_machine.travel(deadline, tick=False):
        [too_late] = cancel(second.family, second.child.pk, [slot.pk], second.user)

    assert in_time.state == "cancelled"
    assert too_late.state == "refused"
    assert "Vous pouvez justifier l'absence" in too_late.message
    assert en_francais(deadline.date(), "10 h") in too_late.message
    states = dict(Reservation.objects.filter(slot=slot).values_list("child", "state"))
    assert states == {first.child.pk: Reservation.State.CANCELLED,
                      second.child.pk: Reservation.State.CONFIRMED}


@pytest.mark.parametrize(("holiday_offset", "name"), [
    (1, "Easter Monday"),       # the Tuesday after it: back over Monday and the weekend
    (50, "Whit Monday"),
    (39, "Ascension Day"),      # a Thursday: the Friday after it looks back to Tuesday
])
def test_working_days_skip_public_holidays(canteen, holiday_offset, name):
    spring = canteen.school_year.end_date.year
    holiday = easter(spring) + datetime.timedelta(days=holiday_offset)
    assert public_holiday(holiday), f"{name} {holiday} should be a French public holiday"
    day = holiday + datetime.timedelta(days=1)
    # Walk back by hand: two days that are neither weekend nor a public holiday (in some
    # years 1 or 8 May falls in the same week as Ascension).
    expected, counted = day, 0
    while counted < 2:
        expected -= datetime.timedelta(days=1)
        if expected.weekday() < 5 and expected != holiday and not public_holiday(expected):
            counted += 1

    assert deadline_for(rule_of(canteen), day) == paris(expected, 10)
    # Without the holiday the deadline would have been one working day later.
    assert expected < day - datetime.timedelta(days=2)

    _, _, _, before, after = boundary(canteen, day, paris(expected, 10))
    assert before.state == "confirmed"
    assert after.state == "refused"
    assert en_francais(expected, "10 h") in after.message


def test_the_deadline_day_after_november_11_when_it_is_a_weekday(canteen):
    """The holiday in term time: a working day right after it looks further back."""
    activity = canteen
    start = activity.school_year.start_date.year
    armistice = datetime.date(start, 11, 11)
    assert public_holiday(armistice)
    # The next working day after 11 November, and the two working days before it.
    day = armistice + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    previous = [d for d in (day - datetime.timedelta(days=n) for n in range(1, 8))
                if d.weekday() < 5 and d != armistice]
    assert deadline_for(rule_of(activity), day) == paris(previous[1], 10)


@pytest.mark.parametrize(("month", "offset_before", "offset_after"), [
    (10, 2, 1),  # October: from UTC+2 (summer time) to UTC+1
    (3, 1, 2),   # March: from UTC+1 to UTC+2
])
def test_ten_o_clock_stays_local_across_the_daylight_saving_change(
        school_year, month, offset_before, offset_after):
    activity = bookable_activity(school_year=school_year,
                                 rule={"kind": DeadlineRule.Kind.DAYS_BEFORE, "days": 2})
    year = activity.school_year.start_date.year + (month < 9)
    change = last_sunday(year, month)  # the clocks change at night, before 10 h
    monday, tuesday = change + datetime.timedelta(days=1), change + datetime.timedelta(days=2)
    rule = rule_of(activity)

    saturday_deadline = deadline_for(rule, monday)
    sunday_deadline = deadline_for(rule, tuesday)

    assert saturday_deadline.astimezone(UTC) == datetime.datetime.combine(
        change - datetime.timedelta(days=1), datetime.time(10 - offset_before), tzinfo=UTC)
    assert sunday_deadline.astimezone(UTC) == datetime.datetime.combine(
        change, datetime.time(10 - offset_after), tzinfo=UTC)

    # And the server agrees to the second, in UTC as the clock of the machine runs.
    utc_deadline = datetime.datetime.combine(change, datetime.time(10 - offset_after),
                                             tzinfo=UTC)
    _, _, _, before, after = boundary(activity, tuesday, utc_deadline)
    assert before.state == "confirmed"
    assert after.state == "refused"
    assert en_francais(change, "10 h") in after.message


def test_previous_wednesday_at_noon(school_year):
    activity = bookable_activity(school_year=school_year,
                                 rule={"kind": DeadlineRule.Kind.PREVIOUS_WEEKDAY,
                                       "weekday": DeadlineRule.Weekday.WEDNESDAY,
                                       "time": datetime.time(12, 0)})
    year = activity.school_year.start_date.year
    wednesday = next_weekday(datetime.date(year, 10, 1), 2)
    friday = wednesday + datetime.timedelta(days=2)
    rule = rule_of(activity)

    # A Wednesday's previous Wednesday is a week before, never the day itself.
    assert deadline_for(rule, wednesday) == paris(wednesday - datetime.timedelta(days=7), 12)
    assert deadline_for(rule, friday) == paris(wednesday, 12)
    assert describe(rule) == "le mercredi précédent, 12 h"

    previous = wednesday - datetime.timedelta(days=7)
    _, _, _, before, after = boundary(activity, wednesday, paris(previous, 12))
    assert before.state == "confirmed"
    assert after.state == "refused"
    assert after.message.endswith(f"{en_francais(previous, '12 h')} "
                                  "(le mercredi précédent, 12 h).")


def test_fifteen_days_before(school_year):
    activity = bookable_activity(
        kind="alsh_holidays", days="holidays", school_year=school_year,
        rule={"kind": DeadlineRule.Kind.DAYS_BEFORE, "days": 15, "time": datetime.time(18, 30)})
    year = activity.school_year.start_date.year
    day = next_weekday(datetime.date(year, 10, 25), 0)
    rule = rule_of(activity)
    deadline = paris(day - datetime.timedelta(days=15), 18, 30)

    assert deadline_for(rule, day) == deadline
    assert describe(rule) == "15 jours avant, 18 h 30"
    _, _, _, before, after = boundary(activity, day, deadline)
    assert before.state == "confirmed"
    assert after.state == "refused"
    assert en_francais(deadline.date(), "18 h 30") in after.message


@pytest.mark.parametrize(("fields", "words"), [
    ({"kind": "working_days", "days": 2, "time": datetime.time(10)},
     "2 jours ouvrés avant, 10 h"),
    ({"kind": "working_days", "days": 1, "time": datetime.time(9, 30)},
     "1 jour ouvré avant, 9 h 30"),
    ({"kind": "weekday", "weekday": 2, "time": datetime.time(12)}, "le mercredi précédent, 12 h"),
    ({"kind": "weekday", "weekday": 4, "time": datetime.time(17)}, "le vendredi précédent, 17 h"),
    ({"kind": "days", "days": 15, "time": datetime.time(0)}, "15 jours avant, 0 h"),
    ({"kind": "days", "days": 1, "time": datetime.time(18)}, "1 jour avant, 18 h"),
    ({"kind": "days", "days": 0, "time": datetime.time(8)}, "le jour même, 8 h"),
])
def test_rules_are_described_in_french(fields, words):
    rule = DeadlineRule(**fields)
    assert describe(rule) == words
    assert str(rule) == words


def test_without_a_rule_the_eve_at_midnight(activity):
    activity.deadline_rule.delete()
    activity.refresh_from_db()
    year = activity.school_year.start_date.year
    wednesday = next_weekday(datetime.date(year, 10, 1), 2)
    midnight = paris(wednesday, 0)
    assert deadline_for(None, wednesday) == midnight
    assert describe(None) == "jusqu'à la veille, minuit"

    _, _, _, before, after = boundary(activity, wednesday, midnight)
    assert before.state == "confirmed"
    assert after.state == "refused"


def test_through_the_page_the_last_second_counts_not_what_the_page_showed(
        parent_client, booker, slot):
    """The parent's POST to « Réserver »: accepted at 9:59:59 on the Monday before a
    Wednesday, refused at 10:00:00 with the deadline in words, whatever page he had open."""
    monday = slot.date - datetime.timedelta(days=2)
    assert slot.date.weekday() == 2 and not public_holiday(monday) and not public_holiday(
        monday + datetime.timedelta(days=1))
    deadline = paris(monday, 10)
    url = reverse("reservations:book")
    form = {"child": booker.child.pk, "slot": slot.pk, "waiting_list": "1"}
    sibling = ready_child(slot.activity, booker.guardian)

    with time_machine.travel(deadline - ONE_SECOND, tick=False):
        parent_client.force_login(booker.user)  # a session of that day, not of today
        accepted = parent_client.post(url, form, follow=True)
    with time_machine.travel(deadline, tick=False):
        refused = parent_client.post(url, {**form, "child": sibling.child.pk}, follow=True)

    assert accepted.status_code == 200
    assert refused.status_code == 200
    [said] = flash_messages(accepted)
    assert said.startswith(booker.child.first_name) and said.endswith(" : réservé")
    [said] = flash_messages(refused)
    assert said.startswith(sibling.child.first_name)
    assert f"il fallait réserver ou annuler avant le {en_francais(monday, '10 h')}" in said
    assert said in visible_text(refused)
    assert dict(Reservation.objects.filter(slot=slot).values_list("child", "state")) == {
        booker.child.pk: Reservation.State.CONFIRMED}


def test_the_deadline_sentence_is_written_in_the_communes_zone_even_after_it_changes(settings):
    """The sentence under each day is remembered (reservations.deadlines.deadline_sentence),
    per time zone and language: never one zone's words for another."""
    moment = datetime.datetime(2026, 10, 5, 8, 0, tzinfo=datetime.UTC)
    assert deadline_sentence(moment) == "jusqu'au 5 octobre à 10 h"
    assert deadline_sentence(moment, passed=True) == "Hors délai depuis le 5 octobre à 10 h."
    settings.TIME_ZONE = "America/Cayenne"
    assert deadline_sentence(moment) == "jusqu'au 5 octobre à 5 h"
