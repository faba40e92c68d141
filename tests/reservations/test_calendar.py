"""The parent calendar (issue 5): each day's state in words with its deadline, and the
booking endpoints behind it, without JavaScript (303 and messages) and with htmx (the
updated day). Time is frozen with time-machine wherever a deadline or an opening matters."""

import datetime
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
import tinyhtml5
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from ground import french
from ground.models import OutboxMessage
from inscriptions.models import AnnualFile, Enrolment
from reservations.deadlines import justification_deadline
from reservations.models import AbsenceJustification, AgeGroup, DeadlineRule, Reservation, Slot
from reservations.services import Busy, absences, generate_slots, places, release
from reservations.services import booking as booking_service
from tests.helpers import flash_messages, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
    SiteFactory,
)
from tests.scenarios.families import ChildFactory, FamilyFactory, GuardianFactory
from tests.scenarios.reservations import (
    BookingPeriodFactory,
    CapacityRuleFactory,
    DeadlineRuleFactory,
    ReservationFactory,
    SlotFactory,
)
from tests.scenarios.summaries import send_summaries

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
CALENDAR = reverse("reservations:calendar")
BOOK = reverse("reservations:book")
CANCEL = reverse("reservations:cancel")
BOOK_PERIOD = reverse("reservations:book_period")
HTMX = {"HTTP_HX_REQUEST": "true"}


def wednesdays(year, month: int) -> list[datetime.date]:
    calendar_year = year.start_date.year if month >= 9 else year.end_date.year
    day = datetime.date(calendar_year, month, 1)
    day += datetime.timedelta(days=(2 - day.weekday()) % 7)
    days = []
    while day.month == month:
        days.append(day)
        day += datetime.timedelta(days=7)
    return days


def paris(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def french_day(day: datetime.date) -> str:
    return french.format_day(day, "l j F Y")


def enrolled_child(family, year, activity, **kwargs):
    child = ChildFactory(family=family, **kwargs)
    AnnualFileFactory(child=child, school_year=year, validated=True)
    EnrolmentFactory(child=child, activity=activity)
    return child


@pytest.fixture
def setting(family, guardian):
    """Léa, enrolled in the Wednesday leisure centre (two units), Wednesdays of October
    open for booking, deadline « le mercredi précédent, 12 h »."""
    year = SchoolYearFactory()
    activity = ActivityFactory(school_year=year, name="Centre de loisirs",
                               units=["Matin", "Après-midi"])
    DeadlineRuleFactory(activity=activity, kind=DeadlineRule.Kind.PREVIOUS_WEEKDAY, weekday=2,
                        time=datetime.time(12, 0))
    period = BookingPeriodFactory(activity=activity, label="Mercredis d'automne")
    child = enrolled_child(family, year, activity, first_name="Léa",
                           birth_date=datetime.date(year.start_date.year - 8, 3, 14))
    morning, afternoon = activity.units.all()
    days = wednesdays(year, 10)
    slots = {(day, unit.label): SlotFactory(activity=activity, unit=unit, date=day, capacity=2)
             for day in days for unit in (morning, afternoon)}
    return SimpleNamespace(year=year, activity=activity, period=period, child=child,
                           days=days, slots=slots, morning=morning, afternoon=afternoon,
                           user=guardian.user, month=f"{days[0]:%Y-%m}")


def open_month(client, s, child=None, **extra):
    return client.get(CALENDAR, {"enfant": (child or s.child).pk, "mois": s.month}, **extra)


def day_block(response, activity, day) -> str:
    """The words a parent reads in one day's block (found by its id)."""
    tree = tinyhtml5.parse(response.content.decode())
    wanted = f"jour-{activity.pk}-{day:%Y%m%d}"
    for element in tree.iter():
        if element.get("id") == wanted:
            return " ".join("".join(element.itertext()).split())
    raise AssertionError(f"no block {wanted} in the page")


def other_child_on(slot, *, state=Reservation.State.CONFIRMED, **kwargs):
    return ReservationFactory(slot=slot, child=ChildFactory(family=FamilyFactory()), state=state,
                              **kwargs)


def fill(slot) -> None:
    """Every place of the slot taken by children of other families."""
    for _place in range(slot.capacity):
        other_child_on(slot)


# --- states in words ------------------------------------------------------------------------

def test_each_day_says_its_state_in_words_next_to_its_deadline(parent_client, setting):
    s = setting
    first, second, third, fourth = s.days[:4]
    ReservationFactory(child=s.child, slot=s.slots[first, "Matin"])
    full = s.slots[first, "Après-midi"]
    other_child_on(full)
    other_child_on(full)
    waiting = s.slots[second, "Matin"]
    other_child_on(waiting)
    other_child_on(waiting)
    earlier = timezone.now() - datetime.timedelta(hours=2)
    other_child_on(waiting, state=Reservation.State.WAITING, waiting_since=earlier)
    ReservationFactory(child=s.child, slot=waiting, state=Reservation.State.WAITING,
                       confirmed_at=None, waiting_since=timezone.now())
    Slot.objects.filter(pk=s.slots[second, "Après-midi"].pk).update(
        closed=True, closed_reason="grève du personnel")
    ReservationFactory(child=s.child, slot=s.slots[third, "Matin"],
                       state=Reservation.State.CANCELLED, cancelled_at=timezone.now())
    justified = ReservationFactory(child=s.child, slot=s.slots[third, "Après-midi"])
    AbsenceJustification.objects.create(reservation=justified, submitted_by=s.user,
                                        reason=AbsenceJustification.Reason.ILLNESS,
                                        state=AbsenceJustification.State.ACCEPTED)
    pending = ReservationFactory(child=s.child, slot=s.slots[fourth, "Matin"])
    AbsenceJustification.objects.create(reservation=pending, submitted_by=s.user,
                                        reason=AbsenceJustification.Reason.ILLNESS)

    response = open_month(parent_client, s)

    assert response.status_code == 200
    blocks = {day: day_block(response, s.activity, day) for day in s.days[:4]}
    assert "Matin réservé Annuler" in blocks[first]
    assert "Après-midi complet — rejoindre la liste d'attente Rejoindre la liste" in blocks[first]
    assert "Matin en liste d'attente (rang 2) Quitter la liste d'attente" in blocks[second]
    assert "Après-midi fermé : grève du personnel" in blocks[second]
    assert "Matin annulé disponible Réserver" in blocks[third]
    assert "Après-midi absence justifiée" in blocks[third]
    assert "Matin justification en cours" in blocks[fourth]
    assert "Après-midi disponible Réserver" in blocks[fourth]
    for day, text in blocks.items():  # the deadline said once a day, the rule once above
        previous_wednesday = day - datetime.timedelta(days=7)
        deadline = f"jusqu'au {french.format_day(previous_wednesday, 'j F')} à 12 h"
        assert f"Réserver ou annuler {deadline}" in text
        assert text.count(deadline) == 1 and "mercredi précédent" not in text
    page = visible_text(response)
    assert "Calendrier de Léa" in page
    assert "Délai de réservation et d'annulation : le mercredi précédent, 12 h." in page


def test_the_texts_a_day_shows_are_written_as_text_never_as_markup(parent_client, setting):
    """What staff typed (a closure's reason) is escaped."""
    s = setting
    Slot.objects.filter(pk=s.slots[s.days[0], "Matin"].pk).update(
        closed=True, closed_reason='<script>alert("grève")</script>')

    response = open_month(parent_client, s)

    assert b'<script>alert(' not in response.content
    # Escaped (Jinja2, the days' templates, spells the quote &#34;, Django &quot;).
    assert re.search(r"&lt;script&gt;alert\((&quot;|&#34;)grève(&quot;|&#34;)\)&lt;/script&gt;",
                     response.content.decode())
    assert 'Matin fermé : <script>alert("grève")</script>' in day_block(
        response, s.activity, s.days[0])


def test_before_the_opening_the_day_says_when_it_opens(parent_client, setting):
    s = setting
    opens = paris(datetime.date(s.year.start_date.year, 7, 10), 9)
    s.period.opens_at = opens
    s.period.save()

    text = day_block(open_month(parent_client, s), s.activity, s.days[0])

    assert f"pas encore ouvert (ouvre le {french_day(opens.date())} à 9 h)" in text
    assert "Réserver" not in text.replace("Réserver ou annuler", "")
    # And the server says the same if the parent posts anyway.
    response = parent_client.post(BOOK, {"child": s.child.pk,
                                         "slot": s.slots[s.days[0], "Matin"].pk})
    assert f"Les réservations ouvrent le {french_day(opens.date())} à 9 h." in " ".join(
        flash_messages(parent_client.get(response["Location"])))
    assert not Reservation.objects.exists()


def test_a_day_outside_every_period_is_not_open_yet(parent_client, setting):
    setting.period.delete()

    text = day_block(open_month(parent_client, setting), setting.activity, setting.days[0])

    assert "pas encore ouvert" in text
    assert "Les réservations de ce jour ne sont pas encore programmées." in text


def test_after_the_deadline_the_day_is_out_of_time_and_a_booking_cannot_be_cancelled(
        client, setting):
    s = setting
    day = s.days[1]
    booked = ReservationFactory(child=s.child, slot=s.slots[day, "Matin"])
    deadline = paris(day - datetime.timedelta(days=7), 12)

    with time_machine.travel(deadline + datetime.timedelta(minutes=1)):
        client.force_login(s.user)
        response = open_month(client, s)
        text = day_block(response, s.activity, day)

    # Said once for the day, not again under each unit (issue 23).
    assert text.startswith(f"{french.format_day(day, 'l j F').capitalize()} Hors délai pour "
                           "annuler : vous pouvez justifier l'absence jusqu'au ")
    assert text.count("délai") == 2  # that sentence, and « hors délai » for the afternoon
    assert "Matin réservé Justifier une absence" in text
    assert "Après-midi hors délai" in text
    assert "Annuler" not in text.replace("annuler", "")
    assert "Justifier une absence" in text
    assert reverse("reservations:justify", args=[booked.pk]) in response.content.decode()


def test_the_justification_limit_reads_and_ends_as_on_the_absences_page(client, setting):
    s = setting
    day = s.days[1]
    booked = ReservationFactory(child=s.child, slot=s.slots[day, "Matin"])
    limit = justification_deadline(day)
    justify = reverse("reservations:justify", args=[booked.pk])

    with time_machine.travel(limit, tick=False):
        client.force_login(s.user)
        text = day_block(open_month(client, s), s.activity, day)
        listed = visible_text(client.get(reverse("reservations:absences")))

    said = f"jusqu'au {absences.justification_limit_text(day)}"
    assert f"vous pouvez justifier l'absence {said}" in text and said in listed
    assert "Justifier une absence" in text  # the last moment the service still accepts
    with time_machine.travel(limit + datetime.timedelta(seconds=1), tick=False):
        client.force_login(s.user)
        response = open_month(client, s)
    assert "Justifier une absence" not in day_block(response, s.activity, day)
    assert justify not in response.content.decode()


def test_before_and_at_the_deadline_minute(client, setting):
    s = setting
    day = s.days[1]
    deadline = paris(day - datetime.timedelta(days=7), 12)
    with time_machine.travel(deadline - datetime.timedelta(minutes=1)):
        client.force_login(s.user)
        assert "disponible" in day_block(open_month(client, s), s.activity, day)
    with time_machine.travel(deadline):
        client.force_login(s.user)
        assert "hors délai" in day_block(open_month(client, s), s.activity, day)


def test_care_is_shown_without_reservation(parent_client, setting):
    care = ActivityFactory(care=True, school_year=setting.year, name="Garderie du soir")
    EnrolmentFactory(child=setting.child, activity=care)

    page = visible_text(open_month(parent_client, setting))

    assert "Garderie du soir sans réservation L'inscription suffit" in page


def test_an_unvalidated_file_shows_why_and_where_to_go(parent_client, setting):
    setting.child.annual_files.update(state="submitted")

    response = open_month(parent_client, setting)

    page = visible_text(response)
    assert ("est en cours de traitement : vous pourrez inscrire et réserver dès sa validation"
            in page)
    assert (reverse("inscriptions:annual_file", args=[setting.child.pk, setting.year.pk])
            in response.content.decode())
    assert "disponible" not in page


def test_only_the_slots_of_the_childs_site_and_age_group_are_shown(parent_client, setting):
    s = setting
    day = s.days[0]
    little = AgeGroup.objects.create(activity=s.activity, label="Petits", min_age=3, max_age=5)
    big = AgeGroup.objects.create(activity=s.activity, label="Grands", min_age=6, max_age=11)
    Slot.objects.filter(activity=s.activity).delete()
    lunch = s.activity.units.create(label="Repas", position=5)
    SlotFactory(activity=s.activity, unit=lunch, date=day, age_group=little, capacity=0)
    SlotFactory(activity=s.activity, unit=lunch, date=day, age_group=big)
    other_site = SiteFactory(name="École du Port")
    s.activity.sites.add(other_site)
    SlotFactory(activity=s.activity, unit=s.morning, date=day, site=other_site)

    text = day_block(open_month(parent_client, s), s.activity, day)

    assert text.count("Repas disponible") == 1  # the 6-11 group, not the full 3-5
    assert "Matin" not in text  # only at the other site
    assert "complet" not in text


def test_another_familys_child_is_not_found(parent_client, setting, other_guardian):
    stranger = ChildFactory(family=other_guardian.family)
    response = parent_client.get(CALENDAR, {"enfant": stranger.pk, "mois": setting.month})
    assert response.status_code == 404


def test_the_calendar_elides_a_name_starting_with_a_vowel(parent_client, family, setting):
    """Issue 23, item 13: « Calendrier d'Inès », not « de Inès »."""
    ines = enrolled_child(family, setting.year, setting.activity, first_name="Inès")
    page = visible_text(open_month(parent_client, setting, child=ines))
    assert "Calendrier d'Inès – " in page
    assert "de Inès" not in page


def test_the_calendar_opens_on_the_month_of_the_next_day(parent_client, setting):
    page = visible_text(parent_client.get(CALENDAR))
    assert f"Calendrier de Léa – {date_format(setting.days[0], 'F Y')}" in page


def test_reservations_opens_on_the_first_child_who_can_book(parent_client, family, setting):
    # Adam comes first by name, but has nothing to book: no enrolment, then no open day.
    adam = ChildFactory(family=family, first_name="Adam", sex="M")
    AnnualFileFactory(child=adam, school_year=setting.year, validated=True)
    page = visible_text(parent_client.get(CALENDAR))
    assert f"Calendrier de Léa – {date_format(setting.days[0], 'F Y')}" in page
    later = ActivityFactory(school_year=setting.year, name="Passerelle")
    EnrolmentFactory(child=adam, activity=later)
    page = visible_text(parent_client.get(CALENDAR))
    assert "Calendrier de Léa" in page and "ne peut réserver" not in page
    # Asked for by name, Adam's calendar is shown all the same.
    assert "Calendrier d'Adam" in visible_text(parent_client.get(CALENDAR, {"enfant": adam.pk}))


def test_when_no_child_can_book_reservations_says_why(parent_client, family, setting):
    Enrolment.objects.filter(child=setting.child).update(state=Enrolment.State.WITHDRAWN)
    adam = ChildFactory(family=family, first_name="Adam", sex="M")
    AnnualFileFactory(child=adam, school_year=setting.year, validated=True)
    EnrolmentFactory(child=adam, activity=ActivityFactory(school_year=setting.year,
                                                          name="Passerelle"))
    page = visible_text(parent_client.get(CALENDAR))
    assert ("Aucun de vos enfants ne peut réserver pour l'instant : aucune date n'est encore "
            "ouverte aux réservations pour Adam ; Léa n'est inscrite à aucune activité qui se "
            "réserve (une inscription validée est nécessaire).") in page
    assert "Calendrier d'Adam" in page


def test_the_number_of_queries_does_not_grow_with_days_children_and_activities(
        parent_client, setting, family, django_assert_max_num_queries):
    s = setting

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert open_month(parent_client, s).status_code == 200
        return len(queries)

    small = count()
    for n in range(3):
        activity = ActivityFactory(school_year=s.year, units=["Matin", "Repas", "Après-midi"])
        DeadlineRuleFactory(activity=activity)
        BookingPeriodFactory(activity=activity)
        EnrolmentFactory(child=s.child, activity=activity)
        for day in s.days:
            for unit in activity.units.all():
                slot = SlotFactory(activity=activity, unit=unit, date=day)
                if n == 0:
                    ReservationFactory(child=s.child, slot=slot)
    for _n in range(3):
        enrolled_child(family, s.year, s.activity)
    care = ActivityFactory(care=True, school_year=s.year)
    EnrolmentFactory(child=s.child, activity=care)

    assert count() == small
    with django_assert_max_num_queries(15):
        open_month(parent_client, s)


# --- booking and cancelling ----------------------------------------------------------------

def test_booking_without_javascript_redirects_back_to_the_month(parent_client, setting):
    s = setting
    slot = s.slots[s.days[1], "Matin"]

    response = parent_client.post(BOOK, {"child": s.child.pk, "slot": slot.pk, "mois": s.month})

    assert response.status_code == 303
    assert response["Location"] == f"{CALENDAR}?enfant={s.child.pk}&mois={s.month}"
    page = parent_client.get(response["Location"])
    assert any("Léa" in m and "(Matin) : réservé" in m for m in flash_messages(page))
    assert "Matin réservé" in day_block(page, s.activity, s.days[1])
    reservation = Reservation.objects.get(child=s.child, slot=slot)
    assert (reservation.state, reservation.family) == (Reservation.State.CONFIRMED, s.child.family)
    assert send_summaries() == 1
    summary = OutboxMessage.objects.get(template="reservations_summary")
    assert s.user.email in summary.to


def test_booking_with_htmx_returns_the_updated_day(parent_client, setting):
    s = setting
    slot = s.slots[s.days[1], "Après-midi"]

    response = parent_client.post(BOOK, {"child": s.child.pk, "slot": slot.pk, "mois": s.month},
                                  **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="jour-{s.activity.pk}-{s.days[1]:%Y%m%d}"')
    text = day_block(response, s.activity, s.days[1])
    assert "Après-midi réservé Annuler" in text
    assert "Matin disponible Réserver" in text
    assert 'id="calendar-status" hx-swap-oob="innerHTML"' in html
    assert "Après-midi) : réservé" in visible_text(response)
    assert Reservation.objects.get(slot=slot).state == Reservation.State.CONFIRMED


def test_a_full_day_offers_the_waiting_list_and_joins_it_only_when_accepted(
        parent_client, setting):
    s = setting
    slot = s.slots[s.days[0], "Matin"]
    fill(slot)

    response = parent_client.post(BOOK, {"child": s.child.pk, "slot": slot.pk}, **HTMX)

    assert not Reservation.objects.filter(child=s.child).exists()
    text = day_block(response, s.activity, s.days[0])
    assert "complet : vous pouvez rejoindre la liste d'attente" in text
    assert "Matin complet — rejoindre la liste d'attente Rejoindre la liste d'attente" in text
    assert 'name="waiting_list" value="1"' in response.content.decode()

    response = parent_client.post(BOOK, {"child": s.child.pk, "slot": slot.pk,
                                         "waiting_list": "1"})

    assert response.status_code == 303
    reservation = Reservation.objects.get(child=s.child, slot=slot)
    assert reservation.state == Reservation.State.WAITING
    page = parent_client.get(response["Location"])
    assert "(Matin) : en liste d'attente" in " ".join(flash_messages(page))
    assert "Matin en liste d'attente (rang 1)" in day_block(page, s.activity, s.days[0])
    slot.refresh_from_db()
    assert slot.booked == 2


def test_the_rank_is_exact_and_moves_up_as_requests_ahead_leave(parent_client, setting):
    """However long the list (thousands on opening day), the page says the exact rank, and
    it moves up when a request ahead is withdrawn or given a place that frees."""
    s = setting
    slot = s.slots[s.days[0], "Matin"]
    holders = [other_child_on(slot) for _ in range(slot.capacity)]
    earlier = timezone.now() - datetime.timedelta(hours=1)
    ahead = [other_child_on(slot, state=Reservation.State.WAITING, waiting_since=earlier)
             for _ in range(4)]
    ReservationFactory(child=s.child, slot=slot, state=Reservation.State.WAITING,
                       waiting_since=timezone.now())
    staff = StaffFactory()

    def said():
        return day_block(open_month(parent_client, s), s.activity, s.days[0])

    assert "Matin en liste d'attente (rang 5)" in said()
    release(ahead[1].pk, staff)  # withdrawn
    assert "Matin en liste d'attente (rang 4)" in said()
    release(holders[0].pk, staff)  # a place frees: the first waiting takes it
    assert Reservation.objects.get(pk=ahead[0].pk).state == Reservation.State.CONFIRMED
    assert "Matin en liste d'attente (rang 3)" in said()


def test_cancel_before_the_deadline_frees_the_place(parent_client, setting):
    s = setting
    slot = s.slots[s.days[1], "Matin"]
    reservation = ReservationFactory(child=s.child, slot=slot)

    response = parent_client.post(CANCEL, {"child": s.child.pk, "slot": slot.pk}, **HTMX)

    assert response.status_code == 200
    assert "Matin annulé disponible Réserver" in day_block(response, s.activity,
                                                                   s.days[1])
    reservation.refresh_from_db()
    slot.refresh_from_db()
    assert (reservation.state, slot.booked) == (Reservation.State.CANCELLED, 0)


def test_cancel_after_the_deadline_is_refused_and_points_to_the_justification(client, setting):
    s = setting
    slot = s.slots[s.days[1], "Matin"]
    reservation = ReservationFactory(child=s.child, slot=slot)
    deadline = paris(s.days[1] - datetime.timedelta(days=7), 12)

    with time_machine.travel(deadline + datetime.timedelta(hours=1)):
        client.force_login(s.user)
        response = client.post(CANCEL, {"child": s.child.pk, "slot": slot.pk, "mois": s.month})
        assert response.status_code == 303
        shown = " ".join(flash_messages(client.get(response["Location"])))

    assert ("Hors délai : l'annulation était possible jusqu'au "
            f"{french_day(deadline.date())} à 12 h") in shown
    assert "Vous pouvez justifier l'absence." in shown
    reservation.refresh_from_db()
    assert reservation.state == Reservation.State.CONFIRMED


def test_book_every_wednesday_of_the_period(parent_client, family):
    year = SchoolYearFactory()
    activity = ActivityFactory(school_year=year)
    DeadlineRuleFactory(activity=activity)
    CapacityRuleFactory(activity=activity)
    period = BookingPeriodFactory(activity=activity, label="Septembre à décembre",
                                  first_day=year.start_date,
                                  last_day=datetime.date(year.start_date.year, 12, 31))
    generate_slots(activity)
    child = enrolled_child(family, year, activity, first_name="Léa")
    unit = activity.units.get()
    tuesday = SlotFactory(activity=activity, date=wednesdays(year, 10)[0]
                          - datetime.timedelta(days=1))
    expected = set(Slot.objects.filter(
        activity=activity, date__range=(period.first_day, period.last_day),
        date__week_day=4).values_list("pk", flat=True))
    assert len(expected) >= 10  # the term's Wednesdays, holidays left out

    response = parent_client.post(BOOK_PERIOD, {"confirm": "1",
                                                "child": child.pk, "period": period.pk,
                                                "unit": unit.pk, "weekday": "2"})

    assert response.status_code == 303
    booked = set(Reservation.objects.filter(child=child, state="confirmed").values_list(
        "slot_id", flat=True))
    assert booked == expected
    assert tuesday.pk not in booked
    shown = " ".join(flash_messages(parent_client.get(response["Location"])))
    assert f"« Septembre à décembre » : {len(expected)} jour(s) réservé(s)" in shown


def test_the_period_form_asks_for_confirmation_with_what_it_books_and_bills(
        parent_client, setting, family):
    """Issue 23: « Réserver tous les mercredis » first says, child by child, how many days and
    which would be booked and billed, which are full (on the waiting list) or already asked;
    nothing is written until the parent confirms; then exactly those are booked."""
    s = setting
    tom, _port = brother_at_another_site(s, family)  # not at Léa's site: no slot of his
    first, second, *rest = s.days
    ReservationFactory(child=s.child, slot=s.slots[first, "Matin"])
    full = s.slots[second, "Matin"]
    fill(full)
    data = {"child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
            "mois": s.month, "waiting_list": "1", "children": [tom.pk]}

    answer = parent_client.post(BOOK_PERIOD, data, **HTMX)

    assert answer.status_code == 200
    assert Reservation.objects.filter(child=s.child).count() == 1  # nothing written
    assert not Reservation.objects.filter(child=tom).exists()
    said = visible_text(answer)
    dates = french.dates_text(rest)
    assert (f"Léa, Matin : {len(rest)} jours réservés et facturés, les {dates}." in said)
    assert (f"1 jour complet en liste d'attente (facturé seulement si une place se libère) : "
            f"{french.dates_text([second])}.") in said
    assert f"1 jour déjà demandé, inchangé : {french.dates_text([first])}." in said
    assert "Tom : aucun jour à venir dans cette période." in said
    html = answer.content.decode()
    assert f'id="periode-{s.period.pk}-resultat"' in html and "<html" not in html
    assert '<input type="hidden" name="confirm" value="1">' in html
    assert f'<input type="hidden" name="children" value="{tom.pk}">' in html
    assert "Confirmer la réservation" in said and "Ne rien réserver" in said

    confirmed = parent_client.post(BOOK_PERIOD, {**data, "confirm": "1"}, **HTMX)

    assert confirmed.status_code == 200
    assert f"Léa, « Mercredis d'automne » : {len(rest)} jour(s) réservé(s), 1 en liste " in (
        visible_text(confirmed))
    assert set(Reservation.objects.filter(child=s.child, state="confirmed").values_list(
        "slot_id", flat=True)) == {s.slots[day, "Matin"].pk for day in [first, *rest]}
    assert Reservation.objects.get(child=s.child, slot=full).state == "waiting"


def test_without_javascript_the_confirmation_is_a_page_and_full_days_are_said(
        parent_client, setting):
    s = setting
    fill(s.slots[s.days[0], "Matin"])
    data = {"child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
            "mois": s.month}

    page = parent_client.post(BOOK_PERIOD, data)

    assert page.status_code == 200
    text = visible_text(page)
    assert "Confirmer la réservation" in text
    # French writes the first of the month « 1er » (the setting's year decides the day).
    first = "1er" if s.days[0].day == 1 else s.days[0].day
    assert f"1 jour complet, non réservé : {first} octobre." in text
    assert not Reservation.objects.filter(child=s.child).exists()
    assert parent_client.post(BOOK_PERIOD, {**data, "confirm": "1"}).status_code == 303
    assert Reservation.objects.filter(child=s.child).count() == len(s.days) - 1


def test_a_period_with_nothing_left_to_book_offers_no_confirmation(parent_client, setting):
    s = setting
    for day in s.days:
        ReservationFactory(child=s.child, slot=s.slots[day, "Matin"])
    answer = parent_client.post(BOOK_PERIOD, {
        "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
        "mois": s.month}, **HTMX)
    text = visible_text(answer)
    assert "Léa, Matin : aucun jour réservé." in text
    assert f"{len(s.days)} jours déjà demandés, inchangés" in text
    assert "Rien à réserver pour ces jours." in text
    assert 'name="confirm"' not in answer.content.decode()


def test_the_days_gone_by_are_folded_but_one_to_justify_stays_in_sight(client, setting):
    """Issue 23: a month read on a phone. The days before today are folded under « Jours
    passés (n) »; a past day whose absence can still be justified is not, with its button."""
    s = setting
    first, second, third, fourth, *_rest = s.days
    ReservationFactory(child=s.child, slot=s.slots[first, "Matin"])
    recent = ReservationFactory(child=s.child, slot=s.slots[second, "Matin"])

    with time_machine.travel(paris(second + datetime.timedelta(days=1), 9), tick=False):
        client.force_login(s.user)
        response = open_month(client, s)

    tree = tinyhtml5.parse(response.content.decode())
    folds = [e for e in tree.iter() if e.tag.endswith("details")]
    assert len(folds) == 1
    folded = " ".join("".join(folds[0].itertext()).split())
    assert folded.startswith("Jours passés (1)")
    assert french.format_day(first, "l j F").capitalize() in folded
    assert "Justifier" not in folded and "jusqu'au" not in folded  # nothing to do there
    shown = day_block(response, s.activity, second)
    assert second.strftime("%d") not in folded
    assert "Justifier une absence" in shown
    assert reverse("reservations:justify", args=[recent.pk]) in response.content.decode()
    # Its deadline (the Wednesday before, noon) has passed: said once, for the day.
    assert day_block(response, s.activity, third).endswith(
        f"Hors délai depuis le {second.day} octobre à 12 h. Matin hors délai Après-midi "
        "hors délai")
    assert "Réserver ou annuler jusqu'au" in day_block(response, s.activity, fourth)


def test_the_period_form_is_on_the_calendar(parent_client, setting):
    page = visible_text(open_month(parent_client, setting))
    assert "Période « Mercredis d'automne »" in page
    assert "Réserver tous les mercredis de la période" in page


def test_the_activity_section_writes_what_staff_and_parents_typed_as_text(
        parent_client, setting, family):
    """What staff typed (activity, period, unit) and a brother's name are escaped."""
    s = setting
    s.activity.name = "Centre <b>loisirs</b>"
    s.activity.save(update_fields=["name"])
    s.period.label = 'Hiver "<i>"'
    s.period.save(update_fields=["label"])
    s.morning.label = "Matin <u>"
    s.morning.save(update_fields=["label"])
    tom, _port = brother_at_another_site(s, family)
    tom.first_name = "Tom<script>"
    tom.save(update_fields=["first_name"])

    response = open_month(parent_client, s)

    html = response.content.decode()
    for typed in ("<b>loisirs", '"<i>"', "Matin <u>", "Tom<script>"):
        assert typed not in html
    assert "Centre &lt;b&gt;loisirs&lt;/b&gt;" in html
    assert f'<option value="{s.morning.pk}">Matin &lt;u&gt;</option>' in html
    page = visible_text(response)
    assert "Période « Hiver \"<i>\" »" in page
    assert "aussi pour Tom<script>" in page
    assert f'name="children" value="{tom.pk}"' in html


def brother_at_another_site(s, family):
    """Tom, Léa's brother, enrolled in the same activity at the École du Port."""
    port = SiteFactory(name="École du Port")
    s.activity.sites.add(port)
    tom = ChildFactory(family=family, first_name="Tom")
    AnnualFileFactory(child=tom, school_year=s.year, validated=True)
    EnrolmentFactory(child=tom, activity=s.activity, site=port)
    return tom, port


def test_the_period_form_with_htmx_answers_a_summary_and_the_days_on_screen(
        parent_client, setting, family):
    """A browser with JavaScript: the summary under the form, the month's days updated out of
    band, brothers and sisters booked at their own site, nothing else re-rendered."""
    s = setting
    tom, port = brother_at_another_site(s, family)
    toms = {SlotFactory(activity=s.activity, unit=s.morning, date=day, site=port).pk
            for day in s.days}
    noe = ChildFactory(family=family, first_name="Noé", sex="M")
    AnnualFileFactory(child=noe, school_year=s.year, validated=True)
    page = open_month(parent_client, s).content.decode()
    assert f'name="children" value="{tom.pk}"' in page  # « aussi pour Tom »
    assert 'hx-post="/reservations/reserver-periode/"' in page

    response = parent_client.post(BOOK_PERIOD, {
        "confirm": "1",
        "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
        "mois": s.month, "children": [tom.pk, noe.pk]}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    summary = visible_text(response)
    assert f"Léa, « Mercredis d'automne » : {len(s.days)} jour(s) réservé(s)" in summary
    assert f"Tom, « Mercredis d'automne » : {len(s.days)} jour(s) réservé(s)" in summary
    assert "Noé n'est pas inscrit à Centre de loisirs." in summary
    assert f'id="periode-{s.period.pk}-resultat"' in html
    for day in s.days:  # each Wednesday on screen now says « réservé »
        assert "Matin réservé" in day_block(response, s.activity, day)
    assert html.count('hx-swap-oob="true"') == len(s.days)
    assert "<html" not in html
    assert set(Reservation.objects.filter(child=tom, state="confirmed").values_list(
        "slot_id", flat=True)) == toms
    assert Reservation.objects.filter(child=s.child, state="confirmed").count() == len(s.days)
    assert not Reservation.objects.filter(child=noe).exists()


def test_the_period_form_says_busy_with_htmx_and_books_nothing_twice_on_retry(
        parent_client, setting, monkeypatch):
    s = setting

    def locked(*_args):
        raise Busy()

    monkeypatch.setattr(booking_service, "take_place", locked)
    monkeypatch.setattr(places, "take_places_and_insert", locked)
    data = {"confirm": "1",
            "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
            "mois": s.month}
    response = parent_client.post(BOOK_PERIOD, data, **HTMX)
    assert response.status_code == 503
    text = visible_text(response)
    assert "Trop de demandes en même temps sur ce jour : réessayez dans un instant." in text
    assert "Appuyez de nouveau sur le bouton" in text
    assert not Reservation.objects.exists()

    monkeypatch.undo()
    assert parent_client.post(BOOK_PERIOD, data, **HTMX).status_code == 200
    again = visible_text(parent_client.post(BOOK_PERIOD, data, **HTMX))
    assert f"0 jour(s) réservé(s), 0 en liste d'attente, {len(s.days)} déjà demandé(s)" in again
    assert Reservation.objects.filter(child=s.child).count() == len(s.days)


def test_brothers_and_sisters_booked_together_get_one_summary_per_household(
        parent_client, setting, family, guardian):
    """One action, one e-mail: Léa and Tom in the same summary to their parents; Tom, in
    shared custody, also in his father's household's own e-mail, where Léa is not."""
    s = setting
    tom, port = brother_at_another_site(s, family)
    for day in s.days:
        SlotFactory(activity=s.activity, unit=s.morning, date=day, site=port)
    fathers = GuardianFactory(user__email="pere-de-tom@example.org").family
    tom.second_family = fathers
    tom.save()

    response = parent_client.post(BOOK_PERIOD, {
        "confirm": "1",
        "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
        "mois": s.month, "children": [tom.pk]}, **HTMX)

    assert response.status_code == 200
    assert send_summaries() == 2
    summaries = {tuple(m.to): m for m in OutboxMessage.objects.filter(
        template="reservations_summary")}
    assert set(summaries) == {(guardian.user.email,), ("pere-de-tom@example.org",)}
    both = summaries[guardian.user.email,]
    assert both.subject == ("Réservations de Léa et Tom : récapitulatif de vos "
                            "changements")
    assert "pour Léa :" in both.body_text and "pour Tom :" in both.body_text
    assert both.body_text.count("(Matin) : réservé") == 2 * len(s.days)
    fathers_letter = summaries["pere-de-tom@example.org",]
    assert "Léa" not in fathers_letter.subject + fathers_letter.body_text
    assert fathers_letter.body_text.count("(Matin) : réservé") == len(s.days)


def test_booking_a_period_for_more_children_adds_only_their_booking_statements(
        parent_client, setting, family):
    """Files, enrolments, periods, existing rows, the summary: read and written once per
    action, whatever the number of brothers and sisters; each child adds only the writes
    that book his own days."""
    s = setting
    tom = enrolled_child(family, s.year, s.activity, first_name="Tom")
    zoe = enrolled_child(family, s.year, s.activity, first_name="Zoé")
    Slot.objects.filter(activity=s.activity).update(capacity=10)

    def queries(child, unit, *others):
        with CaptureQueriesContext(connection) as captured:
            response = parent_client.post(BOOK_PERIOD, {
                "confirm": "1",
                "child": child.pk, "period": s.period.pk, "unit": unit.pk, "weekday": "2",
                "mois": s.month, "children": [o.pk for o in others]}, **HTMX)
        assert response.status_code == 200
        return len(captured)

    one = queries(s.child, s.morning)
    two = queries(tom, s.morning, zoe)
    three = queries(s.child, s.afternoon, tom, zoe)

    assert Reservation.objects.filter(state="confirmed").count() == 6 * len(s.days)
    # The three actions, one session: one summary with every child's days.
    assert send_summaries() == 1
    summary = OutboxMessage.objects.get(template="reservations_summary")
    assert summary.body_text.count(": réservé") == 6 * len(s.days)
    per_child = three - two
    assert two - one == per_child  # the brothers and sisters named: read with the child
    # The booking's own writes: on PostgreSQL one statement for all his days (here in a
    # savepoint with its lock timeout, the test being a transaction); elsewhere day by day.
    assert per_child == 4 if connection.vendor == "postgresql" else per_child <= 6 * len(s.days)


def test_the_period_answer_shows_its_days_by_the_periods_booking_read(parent_client, setting):
    """The days sent back are judged by the booking periods the booking itself read: the
    period named is read, then its activity's periods once, never a third time."""
    s = setting
    with CaptureQueriesContext(connection) as captured:
        response = parent_client.post(BOOK_PERIOD, {
            "confirm": "1",
            "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
            "mois": s.month}, **HTMX)
    assert response.status_code == 200
    assert "Matin réservé" in day_block(response, s.activity, s.days[0])
    period_reads = [q for q in captured.captured_queries
                    if 'FROM "reservations_bookingperiod"' in q["sql"]]
    assert len(period_reads) == 2


def test_busy_on_a_brother_still_tells_the_family_what_was_booked_before(
        parent_client, setting, family, monkeypatch):
    s = setting
    tom = enrolled_child(family, s.year, s.activity, first_name="Tom")
    book_child = booking_service._book_child

    def busy_for_tom(child, *args):
        if child.pk == tom.pk:
            raise Busy()
        return book_child(child, *args)

    monkeypatch.setattr(booking_service, "_book_child", busy_for_tom)

    response = parent_client.post(BOOK_PERIOD, {
        "confirm": "1",
        "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
        "mois": s.month, "children": [tom.pk]}, **HTMX)

    assert response.status_code == 503
    assert Reservation.objects.filter(child=s.child).count() == len(s.days)
    assert not Reservation.objects.filter(child=tom).exists()
    assert send_summaries() == 1
    summary = OutboxMessage.objects.get(template="reservations_summary")
    assert "pour Léa :" in summary.body_text and "Tom" not in summary.body_text
    assert summary.body_text.count("(Matin) : réservé") == len(s.days)


def test_a_brother_whose_file_is_not_validated_does_not_stop_the_others(
        parent_client, setting, family):
    s = setting
    tom, port = brother_at_another_site(s, family)
    for day in s.days:
        SlotFactory(activity=s.activity, unit=s.morning, date=day, site=port)
    AnnualFile.objects.filter(child=tom).update(state=AnnualFile.State.SUBMITTED)

    response = parent_client.post(BOOK_PERIOD, {
        "confirm": "1",
        "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
        "mois": s.month, "children": [tom.pk]}, **HTMX)

    assert response.status_code == 200
    text = visible_text(response)
    assert f"Léa, « Mercredis d'automne » : {len(s.days)} jour(s) réservé(s)" in text
    assert "Le dossier administratif" in text and "de Tom est en cours de traitement" in text
    assert not Reservation.objects.filter(child=tom).exists()
    assert Reservation.objects.filter(child=s.child).count() == len(s.days)

    AnnualFile.objects.filter(child=s.child).update(state=AnnualFile.State.SUBMITTED)
    alone = parent_client.post(BOOK_PERIOD, {
        "confirm": "1",
        "child": s.child.pk, "period": s.period.pk, "unit": s.afternoon.pk, "weekday": "2",
        "mois": s.month}, **HTMX)
    assert alone.status_code == 422
    assert "de Léa est en cours de traitement" in visible_text(alone)


def test_several_children_at_once_each_at_his_own_site(parent_client, setting, family):
    s = setting
    tom, port = brother_at_another_site(s, family)
    day = s.days[2]
    toms_slot = SlotFactory(activity=s.activity, unit=s.morning, date=day, site=port)
    noe = ChildFactory(family=family, first_name="Noé", sex="M")
    AnnualFileFactory(child=noe, school_year=s.year, validated=True)

    response = parent_client.post(BOOK, {"child": s.child.pk, "slot": s.slots[day, "Matin"].pk,
                                         "children": [tom.pk, noe.pk]})

    assert response.status_code == 303
    assert Reservation.objects.get(child=s.child).slot == s.slots[day, "Matin"]
    assert Reservation.objects.get(child=tom).slot == toms_slot
    assert not Reservation.objects.filter(child=noe).exists()
    shown = " ".join(flash_messages(parent_client.get(response["Location"])))
    assert "Tom, " in shown
    assert "Noé n'est pas inscrit à Centre de loisirs." in shown


def test_another_familys_child_or_slot_books_nothing(parent_client, setting, other_guardian):
    s = setting
    stranger = ChildFactory(family=other_guardian.family)
    AnnualFileFactory(child=stranger, school_year=s.year, validated=True)
    elsewhere = ActivityFactory(school_year=s.year)
    BookingPeriodFactory(activity=elsewhere)
    EnrolmentFactory(child=stranger, activity=elsewhere)
    their_slot = SlotFactory(activity=elsewhere)
    their_booking = ReservationFactory(child=stranger, slot=their_slot)
    my_slot = s.slots[s.days[0], "Matin"]

    assert parent_client.post(BOOK, {"child": stranger.pk, "slot": my_slot.pk}
                              ).status_code == 404
    assert parent_client.post(BOOK, {"child": s.child.pk, "slot": my_slot.pk,
                                     "children": [stranger.pk]}).status_code == 404
    assert parent_client.post(CANCEL, {"child": stranger.pk, "slot": their_slot.pk}
                              ).status_code == 404
    response = parent_client.post(BOOK, {"child": s.child.pk, "slot": their_slot.pk})
    assert response.status_code == 303
    shown = " ".join(flash_messages(parent_client.get(response["Location"])))
    assert "Léa n'est pas inscrite à" in shown

    assert list(Reservation.objects.all()) == [their_booking]
    their_booking.refresh_from_db()
    assert their_booking.state == Reservation.State.CONFIRMED


def test_busy_answers_503_with_a_retry_button(parent_client, setting, monkeypatch):
    s = setting
    slot = s.slots[s.days[0], "Matin"]

    def locked(*_args):
        raise Busy()

    # Both ways of taking a place (one statement on PostgreSQL, the ORM elsewhere).
    monkeypatch.setattr(booking_service, "take_place", locked)
    monkeypatch.setattr(places, "take_places_and_insert", locked)
    data = {"child": s.child.pk, "slot": slot.pk, "waiting_list": "1", "mois": s.month}

    response = parent_client.post(BOOK, data)
    assert response.status_code == 503
    page = visible_text(response)
    assert "Trop de demandes en même temps sur ce jour : réessayez dans un instant." in page
    assert "Réessayer" in page
    assert f'name="slot" value="{slot.pk}"' in response.content.decode()

    response = parent_client.post(BOOK, data, **HTMX)
    assert response.status_code == 503
    text = day_block(response, s.activity, s.days[0])
    assert "Trop de demandes en même temps sur ce jour : réessayez dans un instant." in text
    assert "Réessayer" in text
    assert not Reservation.objects.exists()


def test_enrolment_withdrawn_leaves_nothing_to_book(parent_client, setting):
    Enrolment.objects.filter(child=setting.child).update(state=Enrolment.State.WITHDRAWN)
    page = visible_text(open_month(parent_client, setting))
    assert "n'a pas d'inscription validée à une activité ce mois-ci" in page


def test_the_days_ticked_are_booked_together(parent_client, setting, family):
    s = setting
    ticked = [s.slots[s.days[0], "Matin"], s.slots[s.days[2], "Après-midi"]]
    enrolled_child(family, s.year, s.activity, first_name="Tom")

    page = open_month(parent_client, s).content.decode()
    assert f'form="reservation-groupee" name="slot" value="{ticked[0].pk}"' in page
    assert 'name="children"' in page  # « réserver aussi les mêmes jours pour » Tom

    response = parent_client.post(BOOK, {"child": s.child.pk, "slot": [t.pk for t in ticked],
                                         "waiting_list": "1", "mois": s.month})

    assert response.status_code == 303
    assert set(Reservation.objects.filter(child=s.child, state="confirmed").values_list(
        "slot_id", flat=True)) == {t.pk for t in ticked}
    assert len(flash_messages(parent_client.get(response["Location"]))) == 2


def test_aussi_pour_names_only_the_brothers_and_sisters_enrolled_in_the_activity(
        parent_client, setting, family):
    """Tom is enrolled in the centre, Noé in another activity only: the period form and the
    bulk form offer Tom, never Noé; the server refuses Noé even when a form names him, and
    books nothing for him."""
    s = setting
    tom = enrolled_child(family, s.year, s.activity, first_name="Tom")
    noe = enrolled_child(family, s.year, ActivityFactory(school_year=s.year, name="Judo"),
                         first_name="Noé")

    response = open_month(parent_client, s)

    html = response.content.decode()
    page = visible_text(response)
    assert "aussi pour Tom" in page
    assert "aussi pour Noé" not in page
    assert f'name="children" value="{tom.pk}"' in html
    assert f'name="children" value="{noe.pk}"' not in html
    # Noé named anyway, by the period form and by the bulk form: refused in words.
    response = parent_client.post(BOOK_PERIOD, {
        "confirm": "1",
        "child": s.child.pk, "period": s.period.pk, "unit": s.morning.pk, "weekday": "2",
        "mois": s.month, "children": [noe.pk]}, **HTMX)
    assert "Noé n'est pas inscrite à Centre de loisirs." in visible_text(response)
    response = parent_client.post(BOOK, {
        "child": s.child.pk, "slot": [s.slots[s.days[0], "Matin"].pk], "mois": s.month,
        "children": [noe.pk]}, follow=True)
    assert any("Noé n'est pas inscrite à Centre de loisirs." in text
               for text in flash_messages(response))
    assert not Reservation.objects.filter(child=noe).exists()
    assert Reservation.objects.filter(child=s.child, state="confirmed").exists()
