"""On behalf of a family: each front-desk action goes through the parents' service, records
the agent in the family's journal, and the parents read it in « Historique »; the family's
one-screen page shows what the staff need, within a bounded number of queries, and only to
staff allowed to view families."""

import datetime
from contextlib import contextmanager

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from familles.models import Document, FamilyEvent, Letter
from inscriptions.models import AnnualFile, Enrolment
from reservations.deadlines import deadline_for
from reservations.models import AbsenceJustification, Reservation
from reservations.services.absences import accept_justification
from reservations.services.on_behalf import book_for_family
from tests.helpers import page_text, pdf_bytes, png_bytes
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.counter import FAMILY_PAGE, counter_family, ready_to_book
from tests.scenarios.enrolments import ActivityFactory, AnnualFileFactory, SchoolYearFactory
from tests.scenarios.families import ChildFactory, DocumentFactory, FamilyFactory
from tests.scenarios.reservations import (
    ReservationFactory,
    SlotFactory,
    bookable_activity,
    ready_child,
)

pytestmark = pytest.mark.django_db

HISTORY = "/famille/historique/"


@pytest.fixture
def agent():
    return StaffFactory(first_name="Anne", last_name="Guichet")


def journaled(family, agent, channel, text):
    """The family's journal line naming the agent, and the parents reading it."""
    event = FamilyEvent.objects.filter(family=family, summary__contains=text).get()
    assert (event.actor, event.channel) == (agent, channel)
    return event


def parent_sees(parent_client, text):
    assert text in page_text(parent_client.get(HISTORY))


def test_a_document_received_at_the_counter(agent, family, parent_client):
    child = ChildFactory(family=family, first_name="Lou")
    url = f"/gestion/familles/family/{family.pk}/document/?next={FAMILY_PAGE.format(family.pk)}"
    client = login(agent)
    # Checked by content, as the parents' uploads: a PNG named .pdf is a PNG, a text is refused.
    refused = client.post(url, {"kind": "tax_notice", "child": "", "file": SimpleUploadedFile(
        "avis.pdf", b"pas un document", content_type="application/pdf")})
    assert refused.status_code == 400
    assert "ni un PDF, ni une image" in page_text(refused)
    response = client.post(url, {"kind": "caf", "child": child.pk, "file": SimpleUploadedFile(
        "attestation.pdf", pdf_bytes("CAF"), content_type="application/pdf")})
    assert response.status_code == 302 and response.url == FAMILY_PAGE.format(family.pk)
    document = Document.objects.get(family=family)
    assert document.received_at_counter and document.uploaded_by == agent
    assert document.content_type == "application/pdf"
    journaled(family, agent, FamilyEvent.Channel.COUNTER, "Attestation CAF")
    parent_sees(parent_client, "Document « Attestation CAF » reçu au guichet (Lou)")


def test_staff_without_health_permission_cannot_file_a_health_document(family):
    agent = staff_without("view_health_document")
    response = login(agent).post(
        f"/gestion/familles/family/{family.pk}/document/",
        {"kind": "vaccination", "file": SimpleUploadedFile("v.png", png_bytes())})
    assert response.status_code == 400
    assert not Document.objects.exists()


def complete_file_form(family, child, **overrides):
    data = {
        "channel": "phone", "school": "École Jules Ferry", "school_class": "CE2",
        "vaccinations_up_to_date": "on",
        "vaccination_document": DocumentFactory(family=family, child=child,
                                                kind=Document.Kind.VACCINATION).pk,
        "diet": "none", "allowance_body": "caf", "allowance_number": "7654321",
        "income_document": DocumentFactory(family=family).pk,
        "photo_consent": "on", "accept_rules": "on", "submit": "Transmettre",
    }
    data.update(overrides)
    return data


def test_a_dossier_filled_and_submitted_by_phone(agent, family, parent_client):
    child = ChildFactory(family=family, first_name="Lou")
    year = SchoolYearFactory()
    url = f"/gestion/inscriptions/annualfile/pour-la-famille/{child.pk}/{year.pk}/"
    client = login(agent)
    assert "Commencer le dossier" in page_text(client.get(url))
    client.post(url, {"start": "1"})
    page = client.get(url)
    assert page.status_code == 200 and "Transmettre le dossier" in page_text(page)
    response = client.post(url, complete_file_form(family, child))
    assert response.status_code == 302, page_text(response)
    annual_file = AnnualFile.objects.get(child=child, school_year=year)
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert annual_file.submitted_by == agent
    journaled(family, agent, FamilyEvent.Channel.PHONE, "rempli et transmis par le service")
    parent_sees(parent_client, f"Dossier administratif {year} de Lou rempli et transmis")


def test_a_dossier_needs_the_health_permission(family):
    child = ChildFactory(family=family)
    year = SchoolYearFactory()
    agent = staff_without("view_health_data")
    url = f"/gestion/inscriptions/annualfile/pour-la-famille/{child.pk}/{year.pk}/"
    assert login(agent).get(url).status_code == 403


def test_an_incomplete_dossier_is_not_submitted_and_says_why(agent, family):
    child = ChildFactory(family=family)
    year = SchoolYearFactory()
    AnnualFile.objects.create(child=child, school_year=year)
    url = f"/gestion/inscriptions/annualfile/pour-la-famille/{child.pk}/{year.pk}/"
    response = login(agent).post(url, complete_file_form(family, child, accept_rules=""))
    assert response.status_code == 400
    assert "Acceptez le règlement intérieur" in page_text(response)
    assert AnnualFile.objects.get(child=child).state == AnnualFile.State.DRAFT
    assert not FamilyEvent.objects.filter(summary__contains="transmis").exists()


def test_an_enrolment_asked_at_the_counter(agent, family, parent_client):
    child = ChildFactory(family=family, first_name="Lou")
    activity = ActivityFactory()
    url = f"/gestion/inscriptions/enrolment/pour-la-famille/{family.pk}/"
    client = login(agent)
    # The parents' rule holds: no validated file, no enrolment.
    refused = client.post(url, {"channel": "counter", "child": child.pk,
                                "activity": activity.pk})
    assert refused.status_code == 400
    assert "dossier administratif" in page_text(refused)
    AnnualFileFactory(child=child, school_year=activity.school_year, validated=True)
    response = client.post(url, {"channel": "counter", "child": child.pk,
                                 "activity": activity.pk})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(child=child, activity=activity)
    assert enrolment.requested_by == agent
    journaled(family, agent, FamilyEvent.Channel.COUNTER, activity.name)
    parent_sees(parent_client, f"Demande d'inscription de Lou à {activity.name}")


def test_a_booking_made_for_the_child(agent, guardian, parent_client):
    activity = bookable_activity()
    booker = ready_child(activity, guardian)
    slot = SlotFactory(activity=activity, capacity=1)
    period = activity.booking_periods.get()
    url = (f"/gestion/reservations/bookingperiod/pour-la-famille/{guardian.family_id}/"
           f"?child={booker.child.pk}&period={period.pk}")
    client = login(agent)
    assert str(slot.date.year) in page_text(client.get(url))
    response = client.post(url, {"channel": "phone", "slots": [slot.pk],
                                 "join_waiting_list": "on"})
    assert response.status_code == 302
    reservation = Reservation.objects.get(child=booker.child, slot=slot)
    assert reservation.source == Reservation.Source.STAFF
    assert reservation.state == Reservation.State.CONFIRMED
    journaled(guardian.family, agent, FamilyEvent.Channel.PHONE, "1 jour réservé")
    parent_sees(parent_client, "Réservation pour")


def test_a_booking_for_a_child_in_shared_custody_is_in_both_households_history(agent, guardian):
    """The other household is sent the summary: it reads the booking in its history too."""
    activity = bookable_activity()
    booker = ready_child(activity, guardian)
    other = FamilyFactory()
    booker.child.second_family = other
    booker.child.save(update_fields=["second_family"])
    slot = SlotFactory(activity=activity)
    book_for_family(agent, guardian.family, booker.child, [slot.pk],
                    channel=FamilyEvent.Channel.PHONE)
    for family in (guardian.family, other):
        journaled(family, agent, FamilyEvent.Channel.PHONE, "1 jour réservé")


@contextmanager
def past_the_deadline(reservation, *clients):
    """After the cancellation deadline (the absence can only be justified): clients log in
    again there, a 2027 clock outliving today's sessions."""
    when = deadline_for(reservation.slot.activity.deadline_rule, reservation.slot.date)
    with time_machine.travel(when + datetime.timedelta(hours=1), tick=False):
        for client, user in clients:
            client.force_login(user)
        yield


def test_an_absence_reported_by_phone(agent, guardian, parent_client):
    activity = bookable_activity()
    booker = ready_child(activity, guardian)
    reservation = ReservationFactory(slot=SlotFactory(activity=activity), child=booker.child)
    url = f"/gestion/reservations/absencejustification/pour-la-famille/{guardian.family_id}/"
    client = login(agent)
    with past_the_deadline(reservation, (client, agent), (parent_client, guardian.user)):
        missing = client.post(url, {"channel": "phone", "reservation": reservation.pk,
                                    "caller": "", "reason": "illness"})
        assert missing.status_code == 400
        response = client.post(url, {"channel": "phone", "reservation": reservation.pk,
                                     "caller": "Mme Martin (mère)", "reason": "illness",
                                     "details": "Fièvre"})
        assert response.status_code == 302
        justification = AbsenceJustification.objects.get(reservation=reservation)
        assert justification.submitted_by == agent
        event = journaled(guardian.family, agent, FamilyEvent.Channel.PHONE, "justifiée")
        assert event.reason == "Appel de Mme Martin (mère), pris par Anne Guichet"
        assert "Maladie" not in event.summary and "Fièvre" not in event.summary
        parent_sees(parent_client, "justifiée auprès du service")


def test_an_illness_reported_for_a_household_served_by_post_goes_in_no_letter(agent):
    """A letter waits in clear until printed: the acknowledgement, which repeats the reason
    (health data), has no paper form; the decision, which does not, is posted."""
    activity = bookable_activity()
    family = counter_family(agent)
    child = family.children.get()
    ready_to_book(child, activity)
    reservation = ReservationFactory(slot=SlotFactory(activity=activity), child=child)
    url = f"/gestion/reservations/absencejustification/pour-la-famille/{family.pk}/"
    client = login(agent)
    with past_the_deadline(reservation, (client, agent)):
        response = client.post(url, {"channel": "phone", "reservation": reservation.pk,
                                     "caller": "Mme Le Goff (mère)", "reason": "illness",
                                     "details": "Varicelle"})
        assert response.status_code == 302
        assert not Letter.objects.filter(family=family).exists()
        accept_justification(AbsenceJustification.objects.get(reservation=reservation).pk,
                             agent)
    [letter] = Letter.objects.filter(family=family)
    assert letter.template == "absence_justification_accepted"
    assert "Varicelle" not in letter.body_text and "Maladie" not in letter.body_text


# The family's page -------------------------------------------------------------------------

def test_the_family_page_gathers_the_family_in_bounded_queries(
        agent, guardian, django_assert_max_num_queries):
    activity = bookable_activity()
    booker = ready_child(activity, guardian)
    ReservationFactory(slot=SlotFactory(activity=activity), child=booker.child)
    AnnualFileFactory(child=ChildFactory(family=guardian.family, first_name="Noé"),
                      school_year=activity.school_year, allergies="Arachide")
    client = login(agent)
    url = FAMILY_PAGE.format(guardian.family_id)
    client.get(url)  # the session's and the commune's reads, once
    with django_assert_max_num_queries(25):
        response = client.get(url)
    page = page_text(response)
    assert response.status_code == 200
    assert guardian.user.email in page
    assert booker.child.first_name in page and "Noé" in page
    assert activity.name in page
    assert "Reste à payer" in page
    assert "Arachide" not in page  # no health data on it


def test_the_family_page_needs_the_view_permission(guardian):
    agent = staff_without("view_family")
    assert login(agent).get(FAMILY_PAGE.format(guardian.family_id)).status_code == 403


def test_links_to_act_follow_the_permissions(guardian):
    agent = staff_without("add_reservation")
    page = page_text(login(agent).get(FAMILY_PAGE.format(guardian.family_id)))
    assert "Réserver pour l'enfant" not in page
    assert "Inscrire à une activité" in page


def test_the_family_page_leads_to_the_booking_grid_of_each_validated_enrolment(guardian):
    activity = bookable_activity()
    booker = ready_child(activity, guardian)
    grid = f"/gestion/reservations/reservation/grille/?activity={activity.pk}"
    page = login(StaffFactory()).get(FAMILY_PAGE.format(guardian.family_id)).content.decode()
    start = activity.school_year.start_date.isoformat()  # the year to come: its first week
    assert f'{grid}&amp;site={booker.enrolment.site_id}&amp;start={start}"' in page
    SlotFactory(activity=activity, date=activity.school_year.start_date)
    opened = login(StaffFactory()).get(f"{grid}&site={booker.enrolment.site_id}&start={start}")
    assert f"{booker.child.first_name} {booker.child.last_name}" in page_text(opened)
    without = login(staff_without("view_reservation")).get(
        FAMILY_PAGE.format(guardian.family_id)).content.decode()
    assert grid not in without


def test_staff_book_only_a_child_of_the_family_whose_page_they_are_on(agent, guardian):
    """Ownership holds for the staff too: another family's child, put in the address, is
    not offered, and the service refuses him; nothing is booked, nothing journaled."""
    from reservations.services.on_behalf import book_for_family
    from tests.scenarios.families import GuardianFactory

    activity = bookable_activity()
    stranger = ready_child(activity, GuardianFactory())
    slot = SlotFactory(activity=activity, capacity=1)
    period = activity.booking_periods.get()
    url = (f"/gestion/reservations/bookingperiod/pour-la-famille/{guardian.family_id}/"
           f"?child={stranger.child.pk}&period={period.pk}")
    client = login(agent)

    response = client.post(url, {"channel": "phone", "slots": [slot.pk]})

    assert response.status_code == 200
    with pytest.raises(ValidationError):
        book_for_family(agent, guardian.family, stranger.child, [slot.pk],
                        channel=FamilyEvent.Channel.PHONE)
    assert not Reservation.objects.filter(slot=slot).exists()
    assert not FamilyEvent.objects.filter(family=guardian.family,
                                          summary__contains="Réservation").exists()
