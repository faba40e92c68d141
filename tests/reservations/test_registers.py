"""Staff registers through the admin: who is expected, health flags under permission, marking
present or absent (and care times), unexpected presences, the printable PDF."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from familles.models import Child
from inscriptions.models import AnnualFile, ClosureDay, HealthDataAccess
from portail.staff import ensure_staff_group
from reservations.models import AbsenceJustification, Attendance, Reservation
from tests.helpers import flash_messages, page_text, pdf_text, visible_text
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
    SiteFactory,
)
from tests.scenarios.families import ChildFactory, ContactFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory

PARIS = ZoneInfo("Europe/Paris")
ATTENDANCE_PERMISSIONS = ("view_attendance", "add_attendance", "change_attendance")


# Fixtures --------------------------------------------------------------------------------

def first_weekday(year, month, weekday) -> datetime.date:
    day = datetime.date(year.start_date.year, month, 1)
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def at(day, hour=17) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)


def staff_member(*, health=True) -> Client:
    """A member of the « Éducation Jeunesse » group (or, without health, the group's
    permissions minus the health one), logged in."""
    user = StaffFactory() if health else staff_without("view_health_data")
    client = login(user)
    client.user = user
    return client


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    # Logins happen now; the register's day is in a future school year (time-machine).
    settings.SESSION_COOKIE_AGE = 3 * 366 * 24 * 3600


@pytest.fixture
def year(db):
    """Next school year (not further, so that today's logins are still valid then)."""
    return SchoolYearFactory(start_year=timezone.localdate().year + 1)


@pytest.fixture
def site(db):
    return SiteFactory(name="École des Tilleuls")


@pytest.fixture
def staff(db):
    return staff_member()


def enrolled(activity, first_name, last_name, *, site=None, state="validated", **file):
    """A child with a validated file for the activity's year and an enrolment."""
    child = ChildFactory(first_name=first_name, last_name=last_name,
                         birth_date=datetime.date(activity.school_year.start_date.year - 7, 5, 2))
    AnnualFileFactory(child=child, school_year=activity.school_year, validated=True,
                      **{"allergies": "", "diet": AnnualFile.Diet.NONE, **file})
    EnrolmentFactory(child=child, activity=activity, state=state,
                     site=site or activity.sites.order_by("pk").first())
    return child


def register_url(activity, site, day, suffix=""):
    name = f"admin:reservations_attendance_register{suffix}"
    return reverse(name, args=[activity.pk, site.pk, day.isoformat()])


def pdf_url(activity, site, day):
    return register_url(activity, site, day, "_pdf")


def unexpected_url(activity, site, day):
    return register_url(activity, site, day, "_unexpected")


@pytest.fixture
def alsh(year, site):
    """A Wednesday leisure centre with a morning and an afternoon, and its first Wednesday
    of October."""
    activity = ActivityFactory(school_year=year, sites=[site], units=["Matin", "Après-midi"],
                               name="Accueil de loisirs du mercredi")
    return activity


@pytest.fixture
def care(year, site):
    return ActivityFactory(care=True, school_year=year, sites=[site, SiteFactory(name="Autre")],
                           name="Accueil périscolaire")


def wednesday(year):
    return first_weekday(year, 10, 2)


def slot(activity, day, unit_label, site=None):
    return SlotFactory(activity=activity, date=day, unit=activity.units.get(label=unit_label),
                       site=site or activity.sites.order_by("pk").first())


# Permissions and navigation --------------------------------------------------------------

def test_the_staff_group_takes_registers(db):
    """The group itself (portail/staff.py) grants what registers need."""
    granted = set(ensure_staff_group().permissions.filter(
        content_type__app_label="reservations").values_list("codename", flat=True))
    assert set(ATTENDANCE_PERMISSIONS) <= granted


def test_staff_open_a_register_from_the_attendance_list(staff, year, alsh, site):
    day = wednesday(year)
    with time_machine.travel(at(day, 9), tick=False):
        listing = staff.get(reverse("admin:reservations_attendance_changelist"))
        chooser_url = reverse("admin:reservations_attendance_registers")
        assert f'href="{chooser_url}"' in page_text(listing)
        chooser = staff.get(chooser_url)
        # Today's running activities are one click away.
        assert f'href="{register_url(alsh, site, day)}"' in page_text(chooser)
        assert "Accueils du jour (mercredi" in visible_text(chooser)
        response = staff.get(chooser_url, {"activity": alsh.pk, "site": site.pk,
                                           "day": day.isoformat()})
        assert response.status_code == 302
        assert response["Location"] == register_url(alsh, site, day)
        elsewhere = SiteFactory(name="Gymnase")
        ActivityFactory(school_year=year, sites=[elsewhere])
        refused = staff.get(chooser_url, {"activity": alsh.pk, "site": elsewhere.pk,
                                          "day": day.isoformat()})
        assert refused.status_code == 200
        assert "Ce lieu n'accueille pas cette activité." in visible_text(refused)


def test_staff_without_attendance_permissions_cannot_open_registers(year, alsh, site):
    client = login(staff_without(*ATTENDANCE_PERMISSIONS))
    assert client.get(register_url(alsh, site, wednesday(year))).status_code == 403
    assert client.get(pdf_url(alsh, site, wednesday(year))).status_code == 403


# Who is expected -------------------------------------------------------------------------

def test_reserved_activity_lists_confirmed_reservations_by_unit(staff, year, alsh, site):
    day = wednesday(year)
    morning, afternoon = slot(alsh, day, "Matin"), slot(alsh, day, "Après-midi")
    lou = enrolled(alsh, "Lou", "Martin", leave_alone_consent=True)
    noe = enrolled(alsh, "Noé", "Bernard")
    granny = ContactFactory(family=noe.family, first_name="Annick", last_name="Bernard",
                            phone="06 11 22 33 44", children=[noe])
    AnnualFile.objects.get(child=noe).authorised_contacts.add(granny)
    ReservationFactory(slot=morning, child=lou)
    late = ReservationFactory(slot=afternoon, child=noe)
    AbsenceJustification.objects.create(reservation=late, reason="illness",
                                        submitted_by=StaffFactory())
    now = datetime.datetime.now(tz=PARIS)
    for name, state in [("Waiting", Reservation.State.WAITING),
                        ("Cancelled", Reservation.State.CANCELLED)]:
        ReservationFactory(slot=morning, child=enrolled(alsh, name, "Absent"), state=state,
                           waiting_since=now, cancelled_at=now)
    other_site = SiteFactory(name="Ailleurs")
    alsh.sites.add(other_site)
    ReservationFactory(slot=slot(alsh, day, "Matin", site=other_site),
                       child=enrolled(alsh, "Other", "Site"))
    ReservationFactory(slot=slot(alsh, day + datetime.timedelta(days=7), "Matin"),
                       child=enrolled(alsh, "Next", "Week"))

    with time_machine.travel(at(day, 9), tick=False):
        response = staff.get(register_url(alsh, site, day))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Registre – Accueil de loisirs du mercredi – École des Tilleuls – mercredi" in text
    assert "Martin Lou" in text and "Bernard Noé" in text
    for name in ["Waiting", "Cancelled", "Other", "Next"]:
        assert name not in text, name
    # Grouped by unit: Lou in the morning, Noé in the afternoon.
    assert (text.index("Matin – 1 enfant attendu") < text.index("Martin Lou")
            < text.index("Après-midi – 1 enfant attendu") < text.index("Bernard Noé"))
    # Who may pick them up, and the absence justification.
    assert "Rentre seul" in text
    assert "Annick Bernard – 06 11 22 33 44" in text
    assert "Justification en cours d'examen (maladie de l'enfant)" in text
    assert "7 ans" in text  # born in May, seven years before the school year


def test_care_lists_children_enrolled_at_the_site_on_days_it_runs(staff, year, care, site):
    monday = first_weekday(year, 10, 0)
    enrolled(care, "Inès", "Garnier")
    enrolled(care, "Requested", "Only", state="requested")
    enrolled(care, "Withdrawn", "Gone", state="withdrawn")
    enrolled(care, "Other", "School", site=care.sites.get(name="Autre"))
    with time_machine.travel(at(monday), tick=False):
        text = visible_text(staff.get(register_url(care, site, monday)))
        # Both units (morning and evening) list her, with times to record.
        assert text.count("Garnier Inès") == 2
        assert "Matin – 1 enfant attendu" in text and "Soir – 1 enfant attendu" in text
        assert "Arrivée" in text and "Départ" in text
        for name in ["Requested", "Withdrawn", "Other"]:
            assert name not in text, name
        # Care does not run on Wednesdays, nor on a closure day.
        closed = visible_text(staff.get(register_url(care, site, wednesday(year))))
        assert "L'activité ne fonctionne pas ce jour-là." in closed
        assert "Garnier" not in closed
        ClosureDay.objects.create(school_year=year, date=monday, label="Grève")
        closed = visible_text(staff.get(register_url(care, site, monday)))
        assert "Fermeture : Grève" in closed
        assert "Garnier" not in closed


# Health data -----------------------------------------------------------------------------

@pytest.fixture
def fragile(year, alsh):
    """Two children booked on the first Wednesday; one with allergies, diet and PAI."""
    day = wednesday(year)
    morning = slot(alsh, day, "Matin")
    zoe = enrolled(alsh, "Zoé", "Lefèvre", allergies="Arachide", diet=AnnualFile.Diet.NO_PORK,
                   has_pai=True)
    tom = enrolled(alsh, "Tom", "Durand")
    for child in (zoe, tom):
        ReservationFactory(slot=morning, child=child)
    return day, zoe, tom


def test_health_flags_are_hidden_without_the_permission(year, alsh, site, fragile):
    day, _zoe, _tom = fragile
    agent = staff_member(health=False)
    with time_machine.travel(at(day, 9), tick=False):
        page = visible_text(agent.get(register_url(alsh, site, day)))
        pdf = pdf_text(agent.get(pdf_url(alsh, site, day)).content)
    for text in (page, pdf):
        assert "Lefèvre Zoé" in text
        for secret in ["Arachide", "Sans porc", "PAI", "Allergies"]:
            assert secret not in text, secret
    assert not HealthDataAccess.objects.exists()


def test_health_flags_are_shown_and_each_file_access_recorded(staff, year, alsh, site,
                                                              fragile):
    day, _zoe, _tom = fragile
    with time_machine.travel(at(day, 9), tick=False):
        page = visible_text(staff.get(register_url(alsh, site, day)))
    assert "Allergies : Arachide Régime : Sans porc PAI" in page
    assert "Rien à signaler" in page  # Tom
    accesses = HealthDataAccess.objects.all()
    assert sorted(a.annual_file.child.first_name for a in accesses) == ["Tom", "Zoé"]
    assert {a.user for a in accesses} == {staff.user}
    with time_machine.travel(at(day, 9), tick=False):
        pdf = pdf_text(staff.get(pdf_url(alsh, site, day)).content)
    assert "Arachide" in pdf and "Sans porc" in pdf
    assert HealthDataAccess.objects.count() == 4


# Marking ---------------------------------------------------------------------------------

def test_marking_present_and_absent_then_saving_again_updates_without_duplicates(
        staff, year, alsh, site, fragile):
    day, zoe, tom = fragile
    matin = alsh.units.get(label="Matin")
    url = register_url(alsh, site, day)
    with time_machine.travel(at(day, 12), tick=False):
        response = staff.post(url, {f"status_{matin.pk}_{zoe.pk}": "present",
                                    f"status_{matin.pk}_{tom.pk}": "absent"})
        assert response.status_code == 302
        assert "Registre enregistré (2 pointage(s) modifié(s))." in flash_messages(
            staff.get(url))
    rows = {a.child: a for a in Attendance.objects.all()}
    assert rows[zoe].status == "present" and rows[tom].status == "absent"
    assert rows[zoe].reservation == Reservation.objects.get(child=zoe)
    assert rows[zoe].recorded_by == staff.user and not rows[zoe].unexpected
    assert (rows[zoe].site, rows[zoe].unit, rows[zoe].date) == (site, matin, day)

    # Tom finally came: the register shows what was saved, and saving again updates it.
    with time_machine.travel(at(day, 13), tick=False):
        page = page_text(staff.get(url))
        assert re.search(rf'name="status_{matin.pk}_{zoe.pk}" value="present" checked', page)
        assert re.search(rf'name="status_{matin.pk}_{tom.pk}" value="absent" checked', page)
        staff.post(url, {f"status_{matin.pk}_{zoe.pk}": "present",
                         f"status_{matin.pk}_{tom.pk}": "present"})
        assert "Registre enregistré (1 pointage(s) modifié(s))." in flash_messages(
            staff.get(url))
    assert Attendance.objects.count() == 2
    assert set(Attendance.objects.values_list("status", flat=True)) == {"present"}
    assert Attendance.history.filter(child=tom).count() == 2


def test_a_day_still_to_come_cannot_be_marked(staff, year, alsh, site, fragile):
    day, zoe, _tom = fragile
    matin = alsh.units.get(label="Matin")
    with time_machine.travel(at(day - datetime.timedelta(days=1)), tick=False):
        response = staff.post(register_url(alsh, site, day),
                              {f"status_{matin.pk}_{zoe.pk}": "present"})
    assert response.status_code == 200
    assert "On ne peut pas pointer un jour qui n'est pas encore venu." in visible_text(response)
    assert not Attendance.objects.exists()


def test_care_times_are_recorded_and_a_departure_before_arrival_is_refused(staff, year,
                                                                          care, site):
    monday = first_weekday(year, 10, 0)
    ines = enrolled(care, "Inès", "Garnier")
    soir = care.units.get(label="Soir")
    url = register_url(care, site, monday)
    with time_machine.travel(at(monday, 19), tick=False):
        response = staff.post(url, {f"status_{soir.pk}_{ines.pk}": "present",
                                    f"arrived_{soir.pk}_{ines.pk}": "17:30",
                                    f"left_{soir.pk}_{ines.pk}": "16:45"})
        assert response.status_code == 200
        text = visible_text(response)
        assert ("Inès Garnier (Soir) : l'heure de départ (16:45) précède l'heure d'arrivée "
                "(17:30).") in text
        # What was typed is still there, to be corrected.
        assert 'value="16:45"' in page_text(response)
        assert not Attendance.objects.exists()

        staff.post(url, {f"status_{soir.pk}_{ines.pk}": "present",
                         f"arrived_{soir.pk}_{ines.pk}": "16:30",
                         f"left_{soir.pk}_{ines.pk}": "18:05"})
    attendance = Attendance.objects.get()
    assert (attendance.unit, attendance.status) == (soir, "present")
    assert (attendance.arrived_at, attendance.left_at) == (datetime.time(16, 30),
                                                           datetime.time(18, 5))
    assert attendance.reservation is None and not attendance.unexpected


# Unexpected presence ---------------------------------------------------------------------

def test_an_unexpected_child_enrolled_in_the_activity_can_be_added(staff, year, alsh, site,
                                                                   fragile):
    day, _zoe, _tom = fragile
    jade = enrolled(alsh, "Jade", "Moreau")  # enrolled, no reservation that day
    ChildFactory(first_name="Jade", last_name="Inconnue")  # not enrolled in the activity
    apres_midi = alsh.units.get(label="Après-midi")
    url = register_url(alsh, site, day)
    with time_machine.travel(at(day, 14), tick=False):
        found = visible_text(staff.get(url, {"q": "jade"}))
        assert "Moreau Jade" in found
        assert "Inconnue" not in found
        response = staff.post(unexpected_url(alsh, site, day),
                              {"child": jade.pk, "unit": apres_midi.pk})
        assert response.status_code == 302
        page = staff.get(url)
        assert "Présence imprévue de Jade Moreau enregistrée." in flash_messages(page)
        text = visible_text(page)
    assert text.index("Après-midi – aucun enfant attendu") < text.index(
        "Moreau Jade présence imprévue")
    attendance = Attendance.objects.get()
    assert (attendance.child, attendance.unit, attendance.status) == (jade, apres_midi,
                                                                       "present")
    assert attendance.unexpected and attendance.reservation is None

    # A child not enrolled in the activity is refused; so is a second add.
    stranger = Child.objects.get(last_name="Inconnue")
    with time_machine.travel(at(day, 14), tick=False):
        staff.post(unexpected_url(alsh, site, day), {"child": stranger.pk,
                                                     "unit": apres_midi.pk})
        refused = flash_messages(staff.get(url))
        staff.post(unexpected_url(alsh, site, day), {"child": jade.pk, "unit": apres_midi.pk})
        again = flash_messages(staff.get(url))
    assert refused == ["Jade Inconnue n'a pas d'inscription validée à cette activité."]
    assert again == ["Cet enfant est déjà pointé pour cette unité ce jour-là."]
    assert Attendance.objects.count() == 1


# PDF -------------------------------------------------------------------------------------

def test_the_register_prints_as_a_pdf(staff, year, alsh, site, fragile):
    day, _zoe, _tom = fragile
    with time_machine.travel(at(day, 8), tick=False):
        response = staff.get(pdf_url(alsh, site, day))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition == (f'attachment; filename="registre-accueil-de-loisirs-du-mercredi-'
                           f'ecole-des-tilleuls-{day.isoformat()}.pdf"')
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    first = "1er" if day.day == 1 else day.day  # the year's first Wednesday may be the 1st
    assert (f"Registre – Accueil de loisirs du mercredi – École des Tilleuls – mercredi "
            f"{first} octobre {day.year}") in text
    assert "Lefèvre Zoé" in text and "Durand Tom" in text
    assert "Signature" in text


# Queries ---------------------------------------------------------------------------------

def _populate(activity, day, count, offset):
    for n in range(offset, offset + count):
        child = enrolled(activity, f"Enfant{n}", f"Famille{n}")
        contact = ContactFactory(family=child.family, children=[child])
        AnnualFile.objects.get(child=child).authorised_contacts.add(contact)
        if activity.needs_reservation:
            morning = activity.slots.get(date=day, unit__label="Matin")
            ReservationFactory(slot=morning, child=child)


@pytest.mark.parametrize("kind", ["reserved", "care"])
def test_register_queries_do_not_grow_with_children(staff, year, alsh, care, site, kind,
                                                    django_assert_max_num_queries):
    activity, day = ((alsh, wednesday(year)) if kind == "reserved"
                     else (care, first_weekday(year, 10, 0)))
    if activity.needs_reservation:
        slot(activity, day, "Matin")
    _populate(activity, day, 2, 0)
    url = register_url(activity, site, day)
    with time_machine.travel(at(day, 9), tick=False):
        staff.get(url)  # warm the caches (content types, permissions)
        with CaptureQueriesContext(connection) as two:
            assert "Famille1" in visible_text(staff.get(url))
        _populate(activity, day, 8, 2)
        with django_assert_max_num_queries(len(two)):
            assert "Famille9" in visible_text(staff.get(url))
