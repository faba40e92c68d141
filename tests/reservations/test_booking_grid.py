"""The front desk's booking grid (issue 25), through HTTP as staff use it in the admin: the
enrolled children as rows, the days as columns, each cell's state and each day's totals;
filters; bulk booking, cancelling and presence through the parents' services; the reason
required past the parents' limits; permissions; a bounded number of queries."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from familles.models import FamilyEvent
from ground.models import OutboxMessage
from inscriptions.models import Enrolment
from reservations.deadlines import at, format_date
from reservations.models import AbsenceJustification, AgeGroup, Attendance, Reservation, Slot
from tests.helpers import flash_messages, page_text, visible_text
from tests.scenarios.accounts import login, staff_without
from tests.scenarios.enrolments import EnrolmentFactory, SiteFactory
from tests.scenarios.front_desk import (
    GRID,
    SCHOOLS,
    cell,
    column,
    front_desk_week,
    grid_post,
    grid_url,
)
from tests.scenarios.reservations import ReservationFactory
from tests.scenarios.summaries import send_summaries

pytestmark = pytest.mark.django_db

CELL = re.compile(r'<td class="[^"]*" data-state="(\w+)" data-cell="(\d+)@([\d:-]+)">(.*?)</td>',
                  re.S)


def day(slot) -> str:
    """"jeudi 7 octobre": the day as the grid and its messages name it."""
    return format_date(slot.date, "l j F")


def cells(response) -> dict:
    """{(child id, column key): (state, visible text)} of the grid on the page."""
    found = {}
    for state, child, key, inner in CELL.findall(response.content.decode()):
        inner = re.sub(r'<span class="visually-hidden">.*?</span>', "", inner)
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split())
        found[int(child), key] = (state, text)
    return found


def totals(response) -> dict:
    """{column key: the totals cell's text}."""
    return {key: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
            for key, text in re.findall(r'data-totals="([\d:-]+)">(.*?)</td>',
                                        response.content.decode(), re.S)}


def rows(response) -> list[str]:
    """The children's names, as the rows' headers show them, in order."""
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", re.sub(
        r'<span class="visually-hidden">.*?</span>', "", text))).split())
        for text in re.findall(r'<tr data-child="\d+">\s*<th scope="row">(.*?)</th>',
                               response.content.decode(), re.S)]


# Reading -------------------------------------------------------------------------------------

def test_the_grid_shows_the_enrolled_children_each_days_state_and_totals(staff_client):
    week = front_desk_week(names=("Léa", "Hugo", "Inès"), full_day_places=1)
    lea, hugo, ines = week.children
    monday, tuesday, thursday, _friday = week.slots
    ReservationFactory(slot=monday, child=lea)
    ReservationFactory(slot=thursday, child=hugo)
    ReservationFactory(slot=thursday, child=ines, state=Reservation.State.WAITING,
                       waiting_since=timezone.now())
    Slot.objects.filter(pk=tuesday.pk).update(closed=True, closed_reason="Grève")
    # Not rows: an enrolment still to decide, and a child enrolled at another site.
    EnrolmentFactory(activity=week.activity, state=Enrolment.State.REQUESTED,
                     child__first_name="Attente")
    elsewhere = SiteFactory()
    week.activity.sites.add(elsewhere)
    EnrolmentFactory(activity=week.activity, site=elsewhere, child__first_name="Ailleurs")

    response = staff_client.get(grid_url(week))

    assert response.status_code == 200
    assert rows(response) == ["Nom0 Léa", "Nom1 Hugo", "Nom2 Inès"]
    grid = cells(response)
    assert grid[lea.pk, column(monday)] == ("booked", "réservé")
    assert grid[hugo.pk, column(monday)] == ("free", "libre (9 places)")
    assert grid[lea.pk, column(tuesday)] == ("closed", "fermé")
    assert grid[hugo.pk, column(thursday)] == ("booked", "réservé")
    assert grid[ines.pk, column(thursday)] == ("waiting", "attente n° 1")
    assert grid[lea.pk, column(thursday)] == ("full", "complet")
    sums = totals(response)
    assert sums[column(monday)] == "1 / 10"
    assert sums[column(thursday)] == "1 / 1, 1 en attente"
    assert sums[column(tuesday)] == "—"
    text = visible_text(response)
    assert day(thursday).capitalize() in text
    assert "3 enfants inscrits" in text


def test_every_checkbox_is_labelled_and_headers_have_their_scope(staff_client):
    week = front_desk_week(names=("Léa", "Hugo"))
    content = page_text(staff_client.get(grid_url(week)))

    start = content.index('<table class="booking-grid"')
    table = content[start:content.index("</table>", start)]
    boxes = re.findall(r"<input type=\"checkbox\"[^>]*>", table)
    assert len(boxes) == 2 + 4 + 2 * 4  # rows, columns, cells
    # Each box sits inside its <label>, whose hidden words name the child and the day.
    assert len(re.findall(r"<label><input type=\"checkbox\"", table)) == len(boxes)
    assert f"Léa Nom0, {day(week.thursday)}, Repas :" in table
    assert f"Toute la colonne {day(week.thursday)}, Repas" in table
    assert all('scope="' in th for th in re.findall(r"<th(?:\s[^>]*)?>", table))
    assert 'type="submit" name="action" value="book"' in content


def test_the_grid_is_filtered_by_age_group_age_and_school(staff_client):
    week = front_desk_week()  # six children, 11 to 6 years old, two schools in turn
    group = AgeGroup.objects.create(activity=week.activity, label="Moins de 8 ans",
                                    min_age=3, max_age=7)

    by_group = rows(staff_client.get(grid_url(week, age_group=group.pk)))
    by_age = rows(staff_client.get(grid_url(week, age=9)))
    by_school = rows(staff_client.get(grid_url(week, school=SCHOOLS[1])))

    assert by_group == ["Nom4 Nina", "Nom5 Yanis"]
    assert by_age == ["Nom2 Inès"]
    assert by_school == ["Nom1 Hugo", "Nom3 Malo", "Nom5 Yanis"]


def test_a_month_shows_every_day_of_the_month(staff_client):
    week = front_desk_week(names=("Léa",))
    later = Slot.objects.create(activity=week.activity, unit=week.slots[0].unit,
                                site=week.site, date=week.monday + datetime.timedelta(days=14),
                                capacity=5)

    month = cells(staff_client.get(grid_url(week, span="month")))
    only_week = cells(staff_client.get(grid_url(week)))

    assert (week.children[0].pk, column(later)) in month
    assert (week.children[0].pk, column(later)) not in only_week
    assert len(month) == 5 and len(only_week) == 4


def test_the_grid_reads_in_the_same_number_of_queries_for_two_or_six_children(staff_client):
    small, large = front_desk_week(names=("A", "B")), front_desk_week()
    for week in (small, large):
        for child in week.children:
            ReservationFactory(slot=week.slots[0], child=child)
    staff_client.get(grid_url(small))  # the session, the permissions: read once

    with CaptureQueriesContext(connection) as two:
        staff_client.get(grid_url(small))
    with CaptureQueriesContext(connection) as six:
        assert len(cells(staff_client.get(grid_url(large)))) == 6 * 4

    assert len(two) == len(six), [q["sql"] for q in six.captured_queries]
    assert len(six) <= 20, [q["sql"][:150] for q in six.captured_queries]


def test_no_health_data_is_shown(staff_client):
    week = front_desk_week(names=("Léa",))
    reservation = ReservationFactory(slot=week.slots[0], child=week.children[0])
    AbsenceJustification.objects.create(
        reservation=reservation, reason=AbsenceJustification.Reason.ILLNESS,
        details="Gastro-entérite", submitted_by=week.children[0].family.guardians.get().user)

    response = staff_client.get(grid_url(week))

    assert cells(response)[week.children[0].pk, column(week.slots[0])] == (
        "justified", "absence, justification en cours")
    text = visible_text(response)
    assert "Gastro" not in text and "Maladie" not in text
    assert "Arachide" not in text  # the file's allergies (tests/scenarios/enrolments.py)


# Permissions ---------------------------------------------------------------------------------

def test_staff_without_the_reservations_view_permission_get_403():
    week = front_desk_week(names=("Léa",))
    client = login(staff_without("view_reservation", "change_reservation"))

    assert client.get(grid_url(week)).status_code == 403
    assert client.get(GRID).status_code == 403
    assert grid_post(client, week, "book", rows=week.children).status_code == 403
    assert not Reservation.objects.exists()


def test_staff_who_may_only_read_cannot_book_nor_mark():
    week = front_desk_week(names=("Léa",))
    client = login(staff_without("change_reservation", "add_attendance"))

    page = client.get(grid_url(week))
    assert page.status_code == 200
    assert 'value="book"' not in page_text(page) and 'value="present"' not in page_text(page)
    assert grid_post(client, week, "book", rows=week.children).status_code == 403
    assert grid_post(client, week, "present", rows=week.children).status_code == 403
    assert not Reservation.objects.exists() and not Attendance.objects.exists()


def test_the_index_links_to_the_grid_for_those_who_may_read_it(staff_client):
    assert GRID in page_text(staff_client.get("/gestion/"))
    assert GRID in page_text(staff_client.get("/gestion/reservations/reservation/"))


# Booking -------------------------------------------------------------------------------------

def test_staff_book_a_whole_group_for_a_week_and_a_full_day_puts_two_on_the_waiting_list(
        staff_client, staff_user):
    week = front_desk_week(full_day_places=4)

    response = grid_post(staff_client, week, "book", rows=week.children,
                         join_waiting_list="on")

    assert flash_messages(response) == ["22 réservations, 2 en liste d'attente."]
    thursday = week.thursday
    thursday.refresh_from_db()
    assert thursday.booked == thursday.capacity == 4
    waiting = Reservation.objects.filter(slot=thursday, state=Reservation.State.WAITING)
    assert sorted(r.child.first_name for r in waiting) == ["Nina", "Yanis"]
    made = Reservation.objects.all()
    assert made.count() == 24
    assert {(r.source, r.updated_by_id, r.family_id == r.child.family_id) for r in made} == {
        (Reservation.Source.STAFF, staff_user.pk, True)}
    # The grid shows it: the day full, its waiting list ranked.
    grid = cells(response)
    assert grid[week.child("Yanis").pk, column(thursday)] == ("waiting", "attente n° 2")
    assert totals(response)[column(thursday)] == "4 / 4, 2 en attente"
    # Each family is told once, in words that say the service did it.
    assert send_summaries() == len(week.children)
    summaries = OutboxMessage.objects.filter(template="reservations_summary")
    assert summaries.count() == len(week.children)
    assert all("faits par le service" in m.subject for m in summaries)
    assert all("Le service Éducation Jeunesse a fait ces changements" in m.body_text
               for m in summaries)
    # One journal event per household, at the counter (the default), without a reason.
    events = FamilyEvent.objects.all()
    assert sorted(e.family_id for e in events) == sorted(c.family_id for c in week.children)
    assert {(e.actor_id, e.channel, e.reason) for e in events} == {
        (staff_user.pk, FamilyEvent.Channel.COUNTER, "")}
    nina = FamilyEvent.objects.get(family=week.child("Nina").family)
    assert nina.summary.endswith(f"Nina, {format_date(week.slots[0].date, 'l j')}, "
                                 f"{format_date(week.slots[1].date, 'l j')} et "
                                 f"{day(week.slots[3])}, en liste d'attente {day(thursday)}")


def test_without_the_waiting_list_option_a_full_day_is_refused_by_name(staff_client):
    week = front_desk_week(names=("Léa", "Hugo"), full_day_places=1)

    response = grid_post(staff_client, week, "book", cols=[column(week.thursday)])

    [message] = flash_messages(response)
    assert message.startswith("1 réservation, 1 refusée : ")
    assert f"Hugo Nom1, {day(week.thursday)} (Repas) : Complet" in message
    assert Reservation.objects.filter(state=Reservation.State.WAITING).count() == 0


def test_ticked_cells_only_and_days_already_booked_are_left_as_they_are(staff_client):
    week = front_desk_week(names=("Léa", "Hugo"))
    lea, hugo = week.children
    ReservationFactory(slot=week.slots[0], child=lea)

    response = grid_post(staff_client, week, "book",
                         cells=[cell(lea, week.slots[0]), cell(lea, week.slots[1]),
                                cell(hugo, week.slots[3]), "garbage", "1:x"])

    assert flash_messages(response) == ["2 réservations, 1 déjà fait."]
    assert set(Reservation.objects.values_list("child_id", "slot_id")) == {
        (lea.pk, week.slots[0].pk), (lea.pk, week.slots[1].pk), (hugo.pk, week.slots[3].pk)}


def test_a_cell_of_another_activity_is_ignored(staff_client):
    week, other = front_desk_week(names=("Léa",)), front_desk_week(names=("Hugo",))

    response = grid_post(staff_client, week, "book",
                         cells=[cell(other.children[0], other.slots[0])])

    assert "Cochez au moins une case" in visible_text(response)
    assert not Reservation.objects.exists()


def test_past_the_parents_deadline_a_reason_is_required_then_recorded(client, staff_user,
                                                                       time_machine):
    week = front_desk_week(names=("Léa", "Hugo"))
    # Wednesday 8 h: Thursday's deadline (Tuesday 10 h) is past, Friday's (today 10 h) not.
    time_machine.move_to(at(week.monday + datetime.timedelta(days=2), datetime.time(8)),
                         tick=False)
    client.force_login(staff_user)
    thursday, friday = week.slots[2], week.slots[3]

    page = client.get(grid_url(week))
    assert "délai des familles dépassé" in visible_text(page)

    refused = grid_post(client, week, "book", cols=[column(thursday), column(friday)])

    assert refused.status_code == 200
    text = visible_text(refused)
    assert "Rien n'a été enregistré" in text
    assert (f"Le délai des familles est dépassé pour {day(thursday)} : indiquez le motif"
            in text)
    assert not Reservation.objects.exists()
    # The ticks are kept for the second try.
    assert f'value="{cell(week.children[0], thursday)}" data-row' in page_text(refused)
    assert re.search(rf'name="col" value="{column(thursday)}"', page_text(refused))

    done = grid_post(client, week, "book", cols=[column(thursday), column(friday)],
                     reason="Appel de la mère, sortie d'hôpital", channel="phone")

    assert flash_messages(done) == ["4 réservations."]
    assert Reservation.objects.filter(slot=thursday, state="confirmed").count() == 2
    # Recorded in each family's journal, with the agent and the reason, and shown there.
    lea = week.children[0]
    event = FamilyEvent.objects.get(family=lea.family)
    assert (event.actor, event.channel, event.reason) == (
        staff_user, FamilyEvent.Channel.PHONE, "Appel de la mère, sortie d'hôpital")
    assert event.summary == (f"Réservation par le service, Restauration scolaire : Léa, "
                             f"{format_date(thursday.date, 'l j')} et {day(friday)}")
    parent = login(lea.family.guardians.get().user)
    history = visible_text(parent.get("/famille/historique/"))
    assert event.summary in history
    assert "Appel de la mère, sortie d'hôpital" in history


def test_before_the_period_opens_staff_cannot_book_even_with_a_reason(staff_client):
    week = front_desk_week(names=("Léa",))
    week.activity.booking_periods.update(opens_at=timezone.now() + datetime.timedelta(days=3))

    response = grid_post(staff_client, week, "book", rows=week.children, reason="Urgence")

    [message] = flash_messages(response)
    assert message.startswith(f"4 refusées : Léa Nom0, {day(week.slots[0])} (Repas) : "
                              "Les réservations ouvrent le")
    assert not Reservation.objects.exists()


# Cancelling ----------------------------------------------------------------------------------

def test_staff_cancel_and_the_waiting_list_is_served(staff_client, staff_user):
    week = front_desk_week(names=("Léa", "Hugo"), full_day_places=1)
    lea, hugo = week.children
    thursday = week.thursday
    ReservationFactory(slot=thursday, child=lea)
    waiting = ReservationFactory(slot=thursday, child=hugo, state=Reservation.State.WAITING,
                                 waiting_since=timezone.now())

    response = grid_post(staff_client, week, "cancel", cells=[cell(lea, thursday),
                                                              cell(lea, week.slots[0])])

    assert flash_messages(response) == ["1 annulation, 1 déjà fait."]
    cancelled = Reservation.objects.get(child=lea, slot=thursday)
    assert (cancelled.state, cancelled.updated_by, cancelled.cancelled_late) == (
        Reservation.State.CANCELLED, staff_user, False)
    waiting.refresh_from_db()
    assert waiting.state == Reservation.State.CONFIRMED
    assert cells(response)[hugo.pk, column(thursday)] == ("booked", "réservé")
    assert OutboxMessage.objects.filter(template="reservation_promoted").count() == 1
    assert send_summaries() == 1
    [summary] = OutboxMessage.objects.filter(template="reservations_summary")
    assert "annulé" in summary.body_text and "faits par le service" in summary.subject
    [event] = FamilyEvent.objects.all()
    assert (event.family, event.actor) == (lea.family, staff_user)
    assert event.summary == (f"Annulation par le service, Restauration scolaire : Léa, "
                             f"{day(thursday)}")


def test_cancelling_a_confirmed_day_past_its_deadline_needs_a_reason(client, staff_user,
                                                                     time_machine):
    week = front_desk_week(names=("Léa",))
    lea, thursday = week.children[0], week.thursday
    ReservationFactory(slot=thursday, child=lea)
    time_machine.move_to(at(week.monday + datetime.timedelta(days=2), datetime.time(8)),
                         tick=False)
    client.force_login(staff_user)

    refused = grid_post(client, week, "cancel", cells=[cell(lea, thursday)])
    assert "indiquez le motif" in visible_text(refused)
    assert Reservation.objects.get().state == Reservation.State.CONFIRMED

    done = grid_post(client, week, "cancel", cells=[cell(lea, thursday)],
                     reason="Sortie scolaire annulée par l'école")
    assert flash_messages(done) == ["1 annulation."]
    assert Reservation.objects.get().state == Reservation.State.CANCELLED
    assert FamilyEvent.objects.get().reason == "Sortie scolaire annulée par l'école"


# Presence ------------------------------------------------------------------------------------

def test_staff_mark_presence_for_a_day_that_has_come(client, staff_user, time_machine):
    week = front_desk_week(names=("Léa", "Hugo"))
    lea, hugo = week.children
    monday, tuesday = week.slots[0], week.slots[1]
    ReservationFactory(slot=monday, child=lea)
    ReservationFactory(slot=monday, child=hugo)
    time_machine.move_to(at(week.monday, datetime.time(14)), tick=False)  # Monday afternoon
    client.force_login(staff_user)

    present = grid_post(client, week, "present", cells=[cell(lea, monday),
                                                        cell(lea, tuesday)])
    absent = grid_post(client, week, "absent", cells=[cell(hugo, monday)])

    [message] = flash_messages(present)
    assert message.startswith(f"1 pointage, 1 refusée : {day(tuesday)} : On ne peut pas "
                              "pointer un jour qui n'est pas encore venu")
    assert flash_messages(absent) == ["1 pointage."]
    marks = {(a.child_id, a.status, a.recorded_by_id) for a in Attendance.objects.all()}
    assert marks == {(lea.pk, "present", staff_user.pk), (hugo.pk, "absent", staff_user.pk)}
    grid = cells(absent)
    assert grid[lea.pk, column(monday)] == ("present", "présent")
    assert grid[hugo.pk, column(monday)] == ("absent", "absent")


def test_booking_a_column_reads_enrolments_and_periods_once_whatever_the_households(
        staff_user):
    """Each child of the grid is in his own household: the booking, household by household,
    is not preceded each time by the same reads of enrolments and booking periods."""
    from reservations.services import front_desk

    def reads(week):
        cells = [(child.pk, week.slots[0].pk) for child in week.children]
        with CaptureQueriesContext(connection) as queries:
            report = front_desk.book_cells(week.activity, week.site, cells, staff_user)
        assert report.booked == len(week.children)
        return [q["sql"] for q in queries.captured_queries
                if "reservations_bookingperiod" in q["sql"]
                or 'FROM "inscriptions_enrolment"' in q["sql"]]

    two, six = reads(front_desk_week(names=("A", "B"))), reads(front_desk_week())
    assert len(two) == len(six) >= 2, six
