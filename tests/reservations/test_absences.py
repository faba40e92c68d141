"""« Justifier une absence »: the parent's window (after the cancellation deadline, up to 48 h
after the day), ownership, documents, and the staff's decision in the admin with e-mails."""

import datetime
import re
from contextlib import contextmanager

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from familles.models import Document
from ground import outbox
from ground.commune import commune
from ground.models import OutboxMessage
from reservations.deadlines import deadline_for, justification_deadline
from reservations.models import AbsenceJustification, Reservation
from reservations.services import absences
from tests.helpers import flash_messages, page_text, pdf_bytes, stored_files, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.families import ChildFactory, DocumentFactory, GuardianFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory

CHANGELIST = "/gestion/reservations/absencejustification/"
ONE_MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def child(family):
    return ChildFactory(family=family, first_name="Lou")


@pytest.fixture
def reservation(slot, child):
    return ReservationFactory(slot=slot, child=child)


@contextmanager
def at(when, client=None, user=None):
    """Frozen at ``when``; the client logs in again there (a 2027 clock outlives the session
    opened today)."""
    with time_machine.travel(when, tick=False):
        if client is not None:
            client.force_login(user)
        yield


def cancel_deadline(reservation):
    return deadline_for(reservation.slot.activity.deadline_rule, reservation.slot.date)


def justify_url(reservation):
    return reverse("reservations:justify", args=[reservation.pk])


def post_justification(client, reservation, follow=False, **data):
    data.setdefault("reason", AbsenceJustification.Reason.ILLNESS)
    data.setdefault("details", "Fièvre depuis la veille.")
    return client.post(justify_url(reservation), data, follow=follow)


# The window ----------------------------------------------------------------------------------

def test_before_the_deadline_the_parent_is_told_to_cancel(parent_client, guardian, reservation):
    with at(cancel_deadline(reservation) - ONE_MINUTE, parent_client, guardian.user):
        page = parent_client.get(justify_url(reservation))
        assert page.status_code == 200
        assert "annulez-la depuis le calendrier" in visible_text(page)
        assert 'name="reason"' not in page_text(page)  # no form to fill in vain

        response = post_justification(parent_client, reservation)
    assert response.status_code == 400
    assert "annulez-la depuis le calendrier" in visible_text(response)
    assert not AbsenceJustification.objects.exists()
    assert not OutboxMessage.objects.filter(template__startswith="absence_").exists()


@pytest.mark.parametrize("moment", ["at_deadline", "last_minute"])
def test_after_the_deadline_and_within_48_hours_the_justification_is_received(
        parent_client, guardian, reservation, moment):
    when = (cancel_deadline(reservation) if moment == "at_deadline"
            else justification_deadline(reservation.slot.date) - ONE_MINUTE)
    with at(when, parent_client, guardian.user):
        page = parent_client.get(justify_url(reservation))
        response = post_justification(parent_client, reservation, follow=True)
    # The window's end is shown next to the day, as the parent reads it.
    limit = absences.justification_limit_text(reservation.slot.date)
    assert f"Justification possible jusqu'au {limit}." in visible_text(page)
    assert limit.endswith(" inclus")
    assert response.redirect_chain[-1][0] == reverse("reservations:absences")
    assert any("Justification envoyée" in m for m in flash_messages(response))
    justification = AbsenceJustification.objects.get(reservation=reservation)
    assert justification.state == AbsenceJustification.State.SUBMITTED
    assert justification.submitted_by == guardian.user
    assert justification.details == "Fièvre depuis la veille."
    text = visible_text(response)
    assert "Lou" in text and "en cours d'examen par le service" in text
    message = OutboxMessage.objects.get(template="absence_justification_received")
    assert message.to == [guardian.user.email]
    # The reason is health data: sealed in the outbox, opened to be sent.
    assert message.content == OutboxMessage.Content.HEALTH and message.body_text == ""
    assert "Lou" in message.subject and "Maladie de l'enfant" in outbox.bodies(message)[0]


def test_more_than_48_hours_after_the_day_it_is_too_late(parent_client, guardian, reservation,
                                                        settings):
    limit = justification_deadline(reservation.slot.date)
    # The window ends 48 h after the end of the day (the setting's default).
    assert limit - datetime.timedelta(hours=commune().justification_hours) == (
        datetime.datetime.combine(reservation.slot.date + datetime.timedelta(days=1),
                                  datetime.time(0, 0), tzinfo=limit.tzinfo))
    with at(limit + ONE_MINUTE, parent_client, guardian.user):
        page = parent_client.get(justify_url(reservation))
        response = post_justification(parent_client, reservation)
    assert "Le délai pour justifier cette absence est dépassé" in visible_text(page)
    assert response.status_code == 400
    assert "Le délai pour justifier cette absence est dépassé" in visible_text(response)
    assert not AbsenceJustification.objects.exists()


def test_only_one_justification_per_reservation(parent_client, guardian, reservation):
    with at(cancel_deadline(reservation), parent_client, guardian.user):
        post_justification(parent_client, reservation)
        again = post_justification(parent_client, reservation,
                                   reason=AbsenceJustification.Reason.FAMILY)
        page = parent_client.get(justify_url(reservation))
    assert again.status_code == 400
    assert "déjà été envoyée" in visible_text(again)
    assert AbsenceJustification.objects.get().reason == AbsenceJustification.Reason.ILLNESS
    assert "Justification envoyée" in visible_text(page)
    assert OutboxMessage.objects.filter(template="absence_justification_received").count() == 1


def test_a_cancelled_reservation_cannot_be_justified(parent_client, guardian, reservation):
    Reservation.objects.filter(pk=reservation.pk).update(state=Reservation.State.CANCELLED)
    with at(cancel_deadline(reservation), parent_client, guardian.user):
        response = post_justification(parent_client, reservation)
    assert response.status_code == 400
    assert "Seule une réservation confirmée" in visible_text(response)
    assert not AbsenceJustification.objects.exists()


def test_other_reason_needs_details(parent_client, guardian, reservation):
    with at(cancel_deadline(reservation), parent_client, guardian.user):
        response = post_justification(parent_client, reservation,
                                      reason=AbsenceJustification.Reason.OTHER, details=" ")
    assert response.status_code == 400
    assert "Précisez le motif de l'absence." in visible_text(response)
    assert not AbsenceJustification.objects.exists()


# Ownership -----------------------------------------------------------------------------------

def test_another_familys_reservation_is_not_found(parent_client, guardian, slot, other_guardian):
    theirs = ReservationFactory(slot=slot, child=ChildFactory(family=other_guardian.family))
    with at(cancel_deadline(theirs), parent_client, guardian.user):
        assert parent_client.get(justify_url(theirs)).status_code == 404
        assert post_justification(parent_client, theirs).status_code == 404
        listing = parent_client.get(reverse("reservations:absences"))
    assert not AbsenceJustification.objects.exists()
    assert justify_url(theirs) not in page_text(listing)


def test_shared_custody_second_household_may_justify(client, slot, family):
    child = ChildFactory(family=family, first_name="Lou")
    second = GuardianFactory()
    child.second_family = second.family
    child.save()
    reservation = ReservationFactory(slot=slot, child=child)
    client.force_login(second.user)
    with at(cancel_deadline(reservation), client, second.user):
        response = post_justification(client, reservation)
    assert response.status_code == 302
    messages = OutboxMessage.objects.filter(template="absence_justification_received")
    # both households are told, each in its own message
    assert sorted(m.to for m in messages) == sorted([[second.user.email],
                                                     [family.guardians.get().user.email]])


# Documents -----------------------------------------------------------------------------------

def test_a_file_that_is_not_a_pdf_or_image_is_refused_in_french(parent_client, guardian,
                                                                reservation):
    fake = SimpleUploadedFile("certificat.pdf", b"ceci n'est pas un PDF\n" * 20,
                              content_type="application/pdf")
    with at(cancel_deadline(reservation), parent_client, guardian.user):
        response = post_justification(parent_client, reservation, upload=fake)
    assert response.status_code == 400
    assert "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG" in visible_text(response)
    assert not AbsenceJustification.objects.exists()
    assert not Document.objects.exists() and stored_files() == []


def test_an_uploaded_certificate_goes_to_the_vault_and_is_attached(parent_client, guardian, family,
                                                                  reservation):
    upload = SimpleUploadedFile("certificat.pdf", pdf_bytes("Certificat"),
                                content_type="application/pdf")
    with at(cancel_deadline(reservation), parent_client, guardian.user):
        response = post_justification(parent_client, reservation, upload=upload)
    assert response.status_code == 302
    justification = AbsenceJustification.objects.get()
    document = justification.document
    assert document.family == family and document.child == reservation.child
    assert document.kind == Document.Kind.MEDICAL_CERTIFICATE
    assert len(stored_files()) == 1
    # The parent finds it in « Mes documents ».
    assert "certificat.pdf" in visible_text(parent_client.get(reverse("familles:documents")))


def test_a_late_refusal_does_not_leave_the_uploaded_file(parent_client, guardian, reservation):
    upload = SimpleUploadedFile("certificat.pdf", pdf_bytes("Certificat"),
                                content_type="application/pdf")
    with at(justification_deadline(reservation.slot.date) + ONE_MINUTE,
            parent_client, guardian.user):
        response = post_justification(parent_client, reservation, upload=upload)
    assert response.status_code == 400
    assert not Document.objects.exists() and stored_files() == []


def test_a_vault_certificate_can_be_picked_but_not_another_familys(
        parent_client, guardian, family, reservation, other_guardian):
    mine = DocumentFactory(family=family, kind=Document.Kind.MEDICAL_CERTIFICATE,
                           original_name="certificat-lou.pdf")
    theirs = DocumentFactory(family=other_guardian.family,
                             kind=Document.Kind.MEDICAL_CERTIFICATE,
                             original_name="certificat-autre.pdf")
    with at(cancel_deadline(reservation), parent_client, guardian.user):
        page = parent_client.get(justify_url(reservation))
        assert "certificat-lou.pdf" in page_text(page)
        assert "certificat-autre.pdf" not in page_text(page)
        refused = post_justification(parent_client, reservation, document=str(theirs.pk))
        assert refused.status_code == 400
        assert not AbsenceJustification.objects.exists()
        accepted = post_justification(parent_client, reservation, document=str(mine.pk))
    assert accepted.status_code == 302
    assert AbsenceJustification.objects.get().document == mine


def test_service_refuses_another_familys_document(family, guardian, reservation, other_guardian):
    theirs = DocumentFactory(family=other_guardian.family,
                             kind=Document.Kind.MEDICAL_CERTIFICATE)
    with (at(cancel_deadline(reservation)),
          pytest.raises(ValidationError, match="Choisissez un document de votre espace")):
            absences.justify_absence(family, reservation.pk, reason="illness", details="",
                                     document_id=theirs.pk, user=guardian.user)
    assert not AbsenceJustification.objects.exists()


# The list of absences ------------------------------------------------------------------------

def test_absences_page_lists_what_can_still_be_justified(parent_client, guardian, activity, child):
    first = SlotFactory(activity=activity)
    week_later = SlotFactory(activity=activity, date=first.date + datetime.timedelta(days=7))
    week_before = SlotFactory(activity=activity, date=first.date - datetime.timedelta(days=7))
    due = ReservationFactory(slot=first, child=child)
    not_yet = ReservationFactory(slot=week_later, child=child)
    too_old = ReservationFactory(slot=week_before, child=child)
    with at(cancel_deadline(due) + ONE_MINUTE, parent_client, guardian.user):
        page = parent_client.get(reverse("reservations:absences"))
    html = page_text(page)
    assert page.status_code == 200
    assert justify_url(due) in html
    assert justify_url(not_yet) not in html  # can still be cancelled
    assert justify_url(too_old) not in html  # its 48 h are over


def test_absences_page_shows_each_decision_in_words(parent_client, guardian, activity, child,
                                                    staff_user):
    first = SlotFactory(activity=activity)
    slots = [first] + [SlotFactory(activity=activity,
                                   date=first.date + datetime.timedelta(days=7 * n))
                       for n in (1, 2)]
    justifications = []
    for slot in slots:
        reservation = ReservationFactory(slot=slot, child=child)
        with at(cancel_deadline(reservation)):
            justifications.append(absences.justify_absence(
                guardian.family, reservation.pk, reason="illness", details="",
                user=guardian.user))
    absences.accept_justification(justifications[0].pk, staff_user)
    absences.refuse_justification(justifications[1].pk, staff_user, "Aucun justificatif.")
    text = visible_text(parent_client.get(reverse("reservations:absences")))
    assert "acceptée : journée non facturée" in text
    assert "refusée : journée facturée" in text and "Aucun justificatif." in text
    assert "en cours d'examen par le service" in text


def test_absences_page_queries_do_not_grow_with_the_absences(
        parent_client, guardian, family, activity, django_assert_max_num_queries):
    slot = SlotFactory(activity=activity)
    day = slot.date
    day_before = SlotFactory(activity=activity, date=day - datetime.timedelta(days=1))

    def absent(n):
        """n more children, each with an absence still to justify and one justified with a
        document."""
        for _n in range(n):
            child = ChildFactory(family=family)
            ReservationFactory(slot=slot, child=child)
            AbsenceJustification.objects.create(
                reservation=ReservationFactory(slot=day_before, child=child),
                reason="illness", submitted_by=guardian.user,
                document=DocumentFactory(family=family, child=child))

    url = reverse("reservations:absences")
    with at(justification_deadline(day) - ONE_MINUTE, parent_client, guardian.user):
        absent(1)
        parent_client.get(url)  # warm the caches
        with CaptureQueriesContext(connection) as one:
            assert len(re.findall("/reservations/absence/", page_text(
                parent_client.get(url)))) == 1
        absent(3)
        with django_assert_max_num_queries(len(one)):
            page = page_text(parent_client.get(url))
    assert len(re.findall("/reservations/absence/", page)) == 4
    assert page.count("/documents/") >= 4


# Staff decisions in the admin ----------------------------------------------------------------

@pytest.fixture
def deciding_staff(staff_user):
    staff_user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="reservations",
        codename__in=["view_absencejustification", "decide_absencejustification"]))
    return staff_user


@pytest.fixture
def submitted(guardian, reservation):
    upload = SimpleUploadedFile("certificat.pdf", pdf_bytes("Certificat"),
                                content_type="application/pdf")
    with at(cancel_deadline(reservation)):
        return absences.justify_absence(guardian.family, reservation.pk, reason="illness",
                                        details="Gastro", upload=upload, user=guardian.user)


def test_staff_list_shows_the_justification_and_its_document_link(client, deciding_staff,
                                                                   submitted):
    client.force_login(deciding_staff)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    text = visible_text(page)
    assert "Lou" in text and "Maladie de l'enfant" in text and "En cours d'examen" in text
    url = reverse("familles:document_download", args=[submitted.document.pk])
    assert url in page_text(page)


def test_staff_list_puts_the_justifications_awaiting_a_decision_first(
        client, deciding_staff, guardian, activity, child):
    pending_slot = SlotFactory(activity=activity)
    decided_slot = SlotFactory(activity=activity,
                               date=pending_slot.date + datetime.timedelta(days=7))
    pending, decided = (AbsenceJustification.objects.create(
        reservation=ReservationFactory(slot=slot, child=child), reason="illness",
        submitted_by=guardian.user) for slot in (pending_slot, decided_slot))
    # The decided one was sent after the pending one, for a later day.
    AbsenceJustification.objects.filter(pk=decided.pk).update(
        state=AbsenceJustification.State.ACCEPTED,
        submitted_at=pending.submitted_at + datetime.timedelta(hours=1))

    client.force_login(deciding_staff)
    page = page_text(client.get(CHANGELIST))

    def row(justification):
        return page.index(reverse("admin:reservations_absencejustification_change",
                                  args=[justification.pk]))
    assert row(pending) < row(decided)


def test_staff_accept_through_the_admin_emails_the_family(client, deciding_staff, guardian,
                                                          submitted):
    client.force_login(deciding_staff)
    response = client.post(CHANGELIST, {"action": "accept_selected", "index": "0",
                                        "_selected_action": [submitted.pk]}, follow=True)
    assert any("acceptée" in m for m in flash_messages(response))
    submitted.refresh_from_db()
    assert submitted.state == AbsenceJustification.State.ACCEPTED
    assert submitted.decided_by == deciding_staff and submitted.decided_at is not None
    message = OutboxMessage.objects.get(template="absence_justification_accepted")
    assert message.to == [guardian.user.email]
    assert "ne vous sera pas facturée" in message.body_text


def test_staff_refuse_needs_a_comment_which_is_emailed(client, deciding_staff, guardian,
                                                       submitted):
    client.force_login(deciding_staff)
    selection = {"action": "refuse_selected", "index": "0", "_selected_action": [submitted.pk]}
    page = client.post(CHANGELIST, selection)
    assert page.status_code == 200
    assert "Motif du refus, envoyé à la famille" in visible_text(page)
    client.post(CHANGELIST, {**selection, "comment": "  "})
    submitted.refresh_from_db()
    assert submitted.state == AbsenceJustification.State.SUBMITTED

    response = client.post(CHANGELIST, {**selection, "comment": "Certificat illisible."},
                           follow=True)
    assert any("refusée" in m for m in flash_messages(response))
    submitted.refresh_from_db()
    assert submitted.state == AbsenceJustification.State.REFUSED
    assert submitted.staff_comment == "Certificat illisible."
    message = OutboxMessage.objects.get(template="absence_justification_refused")
    assert message.to == [guardian.user.email]
    assert "Certificat illisible." in message.body_text and "sera facturée" in message.body_text


def test_a_decision_is_taken_once(client, deciding_staff, submitted):
    client.force_login(deciding_staff)
    client.post(reverse("admin:reservations_absencejustification_accept", args=[submitted.pk]))
    response = client.post(
        reverse("admin:reservations_absencejustification_refuse", args=[submitted.pk]),
        {"comment": "Trop tard"}, follow=True)
    assert any("déjà acceptée" in m for m in flash_messages(response))
    submitted.refresh_from_db()
    assert submitted.state == AbsenceJustification.State.ACCEPTED
    assert not OutboxMessage.objects.filter(template="absence_justification_refused").exists()


def test_staff_without_the_decide_permission_cannot_decide(client, submitted):
    viewer = StaffFactory()
    viewer.groups.clear()
    viewer.user_permissions.add(Permission.objects.get(codename="view_absencejustification"))
    client.force_login(viewer)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "accept_selected" not in page_text(page)
    response = client.post(
        reverse("admin:reservations_absencejustification_accept", args=[submitted.pk]))
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == AbsenceJustification.State.SUBMITTED


def test_staff_change_page_offers_the_decision(client, deciding_staff, submitted):
    client.force_login(deciding_staff)
    page = client.get(f"{CHANGELIST}{submitted.pk}/change/")
    assert page.status_code == 200
    html = page_text(page)
    assert reverse("admin:reservations_absencejustification_accept",
                   args=[submitted.pk]) in html
    assert "Gastro" in html


def test_details_of_a_justification_are_health_data(client, submitted):
    """« Gastro » is health data: staff without the health permission do not read it."""
    viewer = StaffFactory()
    viewer.groups.clear()
    viewer.user_permissions.add(Permission.objects.get(codename="view_absencejustification"))
    client.force_login(viewer)
    page = page_text(client.get(f"{CHANGELIST}{submitted.pk}/change/"))
    assert "Gastro" not in page
    assert "Réservées aux agents habilités" in page

    viewer.user_permissions.add(Permission.objects.get(codename="view_health_data"))
    viewer = type(viewer).objects.get(pk=viewer.pk)  # drop the permission cache
    client.force_login(viewer)
    assert "Gastro" in page_text(client.get(f"{CHANGELIST}{submitted.pk}/change/"))
