"""Issue 27, « Erasure »: a parent asks from « Profil » to close the account; staff see what
goes and what the law keeps, then approve (everything but the accounting records erased,
the account closed, the parent told) or refuse with a reason. Both halves are checked:
nothing the treasury needs changes, and what goes is really gone (rows, history, files)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from familles.models import Contact, Document, FamilyEvent, User
from ground.models import OutboxMessage
from ground.outbox_queries import addressed_to
from inscriptions.models import AnnualFile, FamilyQuotient
from portail.erasure import approve_erasure
from portail.models import DataExport, ErasureRequest
from reservations.models import AbsenceJustification, Reservation
from tests.helpers import flash_messages, stored_files, visible_text
from tests.scenarios.accounts import PASSWORD, login, password_login
from tests.scenarios.billing import InvoiceFactory, pay
from tests.scenarios.erasure import (
    accounting_rows,
    erasure_officer,
    household_to_erase,
    pending_request,
)
from tests.scenarios.families import GuardianFactory
from tests.scenarios.personal_data import ready_export

pytestmark = pytest.mark.django_db

PAGE = "/famille/fermer-mon-compte/"
PROFILE = "/famille/profil/"
# A day of the school year after its October was billed, before the booking four weeks on.
NOVEMBER = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def november(time_machine):
    time_machine.move_to(NOVEMBER, tick=False)


def cancel_url(request) -> str:
    return f"{PAGE}{request.pk}/annuler/"


def review_url(request) -> str:
    return reverse("admin:portail_erasurerequest_change", args=[request.pk])


def approve_url(request) -> str:
    return reverse("admin:portail_erasurerequest_accept", args=[request.pk])


def refuse_url(request) -> str:
    return reverse("admin:portail_erasurerequest_refuse", args=[request.pk])


def test_a_parent_asks_cancels_and_asks_again_one_pending_at_a_time(
        parent_client, guardian, django_capture_on_commit_callbacks):
    page = visible_text(parent_client.get(PAGE))
    assert "Ce qui sera effacé" in page and "Ce qui est conservé, et pourquoi" in page
    assert "la loi l'oblige à les conserver 10 ans" in page
    assert "Fermer mon compte et effacer nos données" in visible_text(parent_client.get(PROFILE))

    refused = parent_client.post(PAGE, {"message": "Merci"})
    assert "Cochez la case pour confirmer votre demande." in visible_text(refused)
    assert not ErasureRequest.objects.exists()

    response = parent_client.post(PAGE, {"confirm": "on", "message": "Nous déménageons."},
                                  follow=True)
    assert any("Votre demande est enregistrée" in m for m in flash_messages(response))
    request = ErasureRequest.objects.get()
    assert (request.family, request.requested_by, request.state, request.message) == (
        guardian.family, guardian.user, ErasureRequest.State.PENDING, "Nous déménageons.")
    ack = OutboxMessage.objects.get(template="erasure_requested")
    assert ack.to == [guardian.user.email]
    profile = visible_text(parent_client.get(PROFILE))
    assert "est en attente : le service l'examine" in profile and "Annuler ma demande" in profile
    assert cancel_url(request) in parent_client.get(PROFILE).content.decode()

    again = parent_client.post(PAGE, {"confirm": "on"}, follow=True)
    assert any("déjà enregistrée" in m for m in flash_messages(again))
    assert ErasureRequest.objects.count() == 1

    parent_client.post(cancel_url(request))
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.CANCELLED
    assert "Annuler ma demande" not in visible_text(parent_client.get(PROFILE))
    parent_client.post(PAGE, {"confirm": "on"})
    assert ErasureRequest.objects.filter(state=ErasureRequest.State.PENDING).count() == 1
    journal = list(FamilyEvent.objects.filter(family=guardian.family).values_list(
        "summary", flat=True))
    assert sum("effacement des données demandés" in s for s in journal) == 2
    assert any("annulée" in s for s in journal)


def test_the_database_holds_one_pending_request_per_account(guardian):
    pending_request(guardian)
    with pytest.raises(IntegrityError):
        ErasureRequest.objects.create(family=guardian.family, requested_by=guardian.user)


def test_another_household_cannot_see_or_cancel_the_request(guardian, other_guardian):
    request = pending_request(guardian)
    other = login(other_guardian.user)
    assert other.post(cancel_url(request)).status_code == 404
    assert "Annuler ma demande" not in visible_text(other.get(PROFILE))
    # Not even the other guardian of the same household: the request is the account's.
    partner = login(GuardianFactory(family=guardian.family).user)
    assert partner.post(cancel_url(request)).status_code == 404
    request.refresh_from_db()
    assert request.is_pending


def test_staff_without_the_permission_read_the_plan_but_cannot_decide(guardian, staff_client):
    request = pending_request(guardian)
    page = visible_text(staff_client.get(review_url(request)))
    assert "Ce qui sera effacé" in page and "Ce qui est conservé" in page
    assert "Approuver et effacer" not in page
    assert staff_client.get(approve_url(request)).status_code == 403
    assert staff_client.post(approve_url(request), {"confirmed": "yes"}).status_code == 403
    assert staff_client.post(refuse_url(request), {"comment": "Non"}).status_code == 403
    request.refresh_from_db()
    assert request.is_pending and User.objects.get(pk=guardian.user_id).is_active


def test_approval_erases_everything_but_the_accounting_records(
        november, django_capture_on_commit_callbacks, mailoutbox):
    household = household_to_erase()
    guardian, family = household.guardian, household.guardian.family
    email = guardian.user.email
    ready_export(guardian.user, family)
    accounting = accounting_rows(family)
    files = {str(path) for path in stored_files()}
    document_files = {Document.objects.get(pk=pk).file.path for pk in
                      Document.objects.filter(family=family).values_list("pk", flat=True)}
    assert len(document_files) >= 4 and document_files <= files
    export_file = DataExport.objects.get(family=family).file.path
    request = pending_request(guardian)

    staff = login(erasure_officer())
    review = visible_text(staff.get(review_url(request)))
    for words in ("Les factures émises : 2", household.invoice.number, "Les paiements : 1",
                  "Les avoirs : 1", "Les personnes de l'entourage : 1",
                  "Les données de santé des dossiers (et leur historique) : 1",
                  "Les réservations à venir, annulées (les places sont rendues) : 1"):
        assert words in review
    # Health data and documents are counted, never shown.
    assert "Arachide" not in review and "Gastro" not in review and ".pdf" not in review
    confirm = staff.get(approve_url(request))
    assert 'value="Oui, approuver et effacer"' in confirm.content.decode()
    request.refresh_from_db()
    assert request.is_pending  # a GET erases nothing

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(approve_url(request), {"confirmed": "yes"})

    request.refresh_from_db()
    assert request.state == ErasureRequest.State.DONE and request.reviewed_by is not None
    # Kept: every accounting row exactly as it was, and the quotient's figures.
    assert accounting_rows(family) == accounting
    quotient = FamilyQuotient.objects.get(family=family)
    assert (quotient.value, quotient.source_document) == (900, None)
    justification = AbsenceJustification.objects.get(pk=household.justification.pk)
    assert (justification.state, justification.details, justification.document) == (
        AbsenceJustification.State.SUBMITTED, "", None)
    assert all(old.details == "" for old in justification.history.all())
    # Gone: documents with their files, the export's file, health data, contacts, phones.
    assert not Document.objects.filter(family=family).exists()
    remaining = {str(path) for path in stored_files()}
    assert document_files.isdisjoint(remaining) and export_file not in remaining
    health = AnnualFile.objects.get(pk=household.annual_file.pk)
    assert (health.allergies, health.doctor_name, health.health_notes) == ("", "", "")
    assert all(old.allergies == "" for old in AnnualFile.history.filter(id=health.pk))
    assert not Contact.objects.filter(family=family).exists()
    guardian.refresh_from_db()
    family.refresh_from_db()
    assert (guardian.mobile_phone, family.address) == ("", "")
    assert (family.name, guardian.last_name, household.child.first_name) != ("", "", "")
    # The booking to come is cancelled and its place given to the child waiting.
    assert Reservation.objects.get(pk=household.future.pk).state == Reservation.State.CANCELLED
    assert Reservation.objects.get(pk=household.waiting.pk).state == Reservation.State.CONFIRMED
    # The account is closed; the parent was told at the old address, the old e-mails emptied.
    user = User.objects.get(pk=guardian.user_id)
    assert not user.is_active and user.email != email
    assert password_login(Client(), email).status_code == 200
    # (delivered at the commit: the outbox then forgot its address, as the next test shows)
    assert any(m.to == [email] and "Ce que la loi nous oblige à conserver" in m.body
               for m in mailoutbox)
    old = OutboxMessage.objects.get(subject="Votre facture")
    assert (old.body_text, old.to) == ("", [user.email])
    assert FamilyEvent.objects.filter(family=family, summary__contains="droit à l'effacement")


def test_refusal_needs_a_reason_and_tells_the_parent(guardian):
    request = pending_request(guardian)
    staff = login(erasure_officer())
    form = staff.post(refuse_url(request), {"comment": " "})
    assert "Ce champ est obligatoire." in visible_text(form)
    staff.post(refuse_url(request), {"comment": "Une procédure de recouvrement est en cours."})
    request.refresh_from_db()
    assert (request.state, request.refusal_reason) == (
        ErasureRequest.State.REFUSED, "Une procédure de recouvrement est en cours.")
    e_mail = OutboxMessage.objects.get(template="erasure_refused")
    assert e_mail.to == [guardian.user.email]
    assert "Une procédure de recouvrement est en cours." in e_mail.body_text
    assert User.objects.get(pk=guardian.user_id).is_active
    assert password_login(Client(), guardian.user.email, PASSWORD).status_code == 302


def test_a_second_guardian_still_using_the_portal_keeps_the_household(
        november, django_capture_on_commit_callbacks):
    household = household_to_erase()
    leaving = GuardianFactory(family=household.guardian.family, first_name="Paul")
    family = leaving.family
    documents = Document.objects.filter(family=family).count()
    request = pending_request(leaving)
    staff = login(erasure_officer())
    assert "seuls ce compte et ses coordonnées sont effacés" in visible_text(
        staff.get(review_url(request)))

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(approve_url(request), {"confirmed": "yes"})

    leaving.refresh_from_db()
    assert not leaving.user.is_active and leaving.mobile_phone == ""
    assert Document.objects.filter(family=family).count() == documents
    assert Contact.objects.filter(family=family).exists()
    assert AnnualFile.objects.get(pk=household.annual_file.pk).allergies == "Arachide"
    assert Reservation.objects.get(pk=household.future.pk).state == Reservation.State.CONFIRMED
    household.guardian.refresh_from_db()
    assert household.guardian.user.is_active and household.guardian.mobile_phone


def test_an_unpaid_invoice_keeps_the_households_address_for_recovery(
        guardian, django_capture_on_commit_callbacks):
    family = guardian.family
    family.address, family.postal_code, family.city = "3 rue des Lilas", "56000", "Kerbrume"
    family.save()
    owed = InvoiceFactory(issued=True, family=family, total_cents=3000)
    pay(owed, amount_cents=1000)
    page = visible_text(login(guardian.user).get(PAGE))
    assert "l'adresse du foyer est gardée tant qu'elle n'est pas réglée" in page
    request = pending_request(guardian)

    with django_capture_on_commit_callbacks(execute=True):
        approve_erasure(request.pk, erasure_officer())

    family.refresh_from_db()
    assert (family.address, family.city) == ("3 rue des Lilas", "Kerbrume")
    assert not User.objects.get(pk=guardian.user_id).is_active


def test_the_farewell_reaches_the_parent_then_its_address_is_forgotten(guardian, mailoutbox):
    """The last e-mail goes to the old address; once delivered, the outbox keeps neither the
    address nor its text (the rest of the account's e-mails lost them at approval)."""
    from ground import outbox

    email = guardian.user.email
    request = pending_request(guardian)
    outbox.drain()  # the acknowledgement, sent when the parent asked
    approve_erasure(request.pk, erasure_officer())
    outbox.drain()
    assert any(m.to == [email] and "Ce que la loi nous oblige à conserver" in m.body
               for m in mailoutbox)
    farewell = OutboxMessage.objects.get(template="erasure_done")
    assert farewell.status == OutboxMessage.Status.SENT
    assert (farewell.to, farewell.body_text, farewell.body_html) == (
        [outbox.FORGOTTEN_ADDRESS], "", "")
    assert not OutboxMessage.objects.filter(addressed_to([email])).exists()
