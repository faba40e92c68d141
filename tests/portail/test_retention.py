"""Issue 27, « Retention, by a beat task, each rule a setting »: the clock moves across each
boundary; the nightly run (portail.tasks.apply_retention) deletes what has outlived its period
and nothing else. Invoices and payments are never touched."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse

from facturation.models import Invoice, Payment
from familles.models import Contact, Document, DocumentAccess, FamilyEvent, User
from ground.commune import commune
from ground.models import OutboxMessage
from inscriptions.models import AnnualFile, HealthDataAccess
from portail import retention
from portail.tasks import apply_retention
from reservations.models import AbsenceJustification
from tests.helpers import stored_files, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import InvoiceFactory, give_qf, pay
from tests.scenarios.enrolments import ActivityFactory, AnnualFileFactory, SchoolYearFactory
from tests.scenarios.families import (
    ChildFactory,
    ContactFactory,
    DocumentFactory,
    GuardianFactory,
)
from tests.scenarios.reservations import ReservationFactory, SlotFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def at(day: datetime.date, hour=3):
    """The nightly run's moment on that day (Paris time)."""
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, hour, 15,
                                                 tzinfo=PARIS), tick=False)


@pytest.fixture
def run_on(django_capture_on_commit_callbacks):
    """The nightly run on that day, its commit's work done (the files' removal)."""
    def run(day: datetime.date) -> dict:
        with at(day), django_capture_on_commit_callbacks(execute=True):
            return retention.run()
    return run


def health_of(annual_file) -> dict:
    annual_file.refresh_from_db()
    return {name: getattr(annual_file, name) for name in AnnualFile.HEALTH_FIELDS}


def test_health_data_goes_after_the_year_after_next_unless_the_child_is_still_enrolled(run_on):
    with at(datetime.date(2024, 1, 10)):
        year = SchoolYearFactory(start_year=2023)          # ends on 31 August 2024
        later = SchoolYearFactory(start_year=2026)         # ends on 31 August 2027
        gone_child, enrolled_child = ChildFactory(), ChildFactory()
        leaving = AnnualFileFactory(child=gone_child, school_year=year, has_pai=True,
                                    pai_document=DocumentFactory(
                                        family=gone_child.family, kind=Document.Kind.PAI))
        staying = AnnualFileFactory(child=enrolled_child, school_year=year)
        AnnualFileFactory(child=enrolled_child, school_year=later)
        leaving.allergies = "Arachide, kiwi"
        leaving.save()  # a second history row, which must be emptied too
    before = health_of(leaving)
    health_documents = [before["vaccination_document"], before["pai_document"]]
    health_files = {document.file.path for document in health_documents}

    # The end of the school year after next: 31 August 2026, still kept that day.
    assert run_on(datetime.date(2026, 8, 31))["health_dossiers"] == 0
    assert health_of(leaving) == before

    assert run_on(datetime.date(2026, 9, 1))["health_dossiers"] == 1
    assert health_of(leaving) == {
        "vaccinations_up_to_date": False, "vaccination_document": None, "allergies": "",
        "diet": AnnualFile.Diet.NONE, "has_pai": False, "pai_document": None,
        "doctor_name": "", "doctor_phone": "", "health_notes": ""}
    for old in AnnualFile.history.filter(id=leaving.pk):
        assert (old.allergies, old.doctor_name, old.health_notes) == ("", "", "")
    assert not Document.objects.filter(pk__in=[d.pk for d in health_documents]).exists()
    assert not Document.history.filter(id__in=[d.pk for d in health_documents]).exists()
    assert health_files.isdisjoint(str(path) for path in stored_files())
    # The rest of the dossier stays (school, consents, income proof).
    leaving.refresh_from_db()
    assert leaving.school and leaving.photo_consent and leaving.income_document_id
    # Still enrolled next year: the old dossier keeps its health part.
    assert health_of(staying)["allergies"] == "Arachide"
    # Idempotent: the next night finds nothing more.
    assert run_on(datetime.date(2026, 9, 2))["health_dossiers"] == 0


def test_documents_go_a_set_time_after_their_validity_unless_an_open_dossier_holds_them(
        run_on):
    with at(datetime.date(2025, 1, 10)):
        closed = AnnualFileFactory(school_year=SchoolYearFactory(start_year=2023))
        open_file = AnnualFileFactory(school_year=SchoolYearFactory(start_year=2025))
        family = closed.child.family
        expired = datetime.date(2025, 3, 31)
        free = DocumentFactory(family=family, valid_until=expired)
        still_valid = DocumentFactory(family=family, valid_until=datetime.date(2026, 12, 31))
        Document.objects.filter(pk__in=[closed.income_document_id,
                                        open_file.income_document_id]).update(
            valid_until=expired)
    assert commune().retention_document_months == 12
    free_path = free.file.path

    # Twelve months after the validity's end: still there on the last day.
    assert run_on(datetime.date(2026, 3, 31))["documents"] == 0
    assert Document.objects.filter(pk=free.pk).exists()

    counts = run_on(datetime.date(2026, 4, 1))
    remaining = set(Document.objects.values_list("pk", flat=True))
    assert free.pk not in remaining and closed.income_document_id not in remaining
    assert counts["documents"] == 2
    assert free_path not in {str(path) for path in stored_files()}
    # The dossier of a year not over keeps its income proof; a valid document stays.
    assert {open_file.income_document_id, still_valid.pk} <= remaining
    closed.refresh_from_db()
    assert closed.income_document_id is None


def test_documents_held_by_a_quotient_or_a_justification_go_once_their_holder_is_past(
        run_on):
    """PROTECT holders let go: a quotient decision past its validity releases its income
    proof, a decided absence justification older than the period its certificate; the
    decisions stay, the documents and files go."""
    with at(datetime.date(2025, 1, 10)):
        family = GuardianFactory().family
        quotient = give_qf(family, 750, valid_from=datetime.date(2024, 4, 1),
                           valid_until=datetime.date(2025, 3, 31))
        quotient.source_document = DocumentFactory(family=family,
                                                   valid_until=datetime.date(2025, 3, 31))
        quotient.save()
        child = ChildFactory(family=family)
        slot = SlotFactory(activity=ActivityFactory(
            school_year=SchoolYearFactory(start_year=2024)), date=datetime.date(2025, 4, 1))
        justification = AbsenceJustification.objects.create(
            reservation=ReservationFactory(slot=slot, child=child),
            reason=AbsenceJustification.Reason.ILLNESS, submitted_by=StaffFactory(),
            state=AbsenceJustification.State.ACCEPTED,
            document=DocumentFactory(family=family, kind=Document.Kind.MEDICAL_CERTIFICATE))
    held = [quotient.source_document, justification.document]
    paths = {document.file.path for document in held}

    counts = run_on(datetime.date(2026, 3, 31))  # twelve months: the last day kept
    assert counts["justification_documents"] == 0
    assert Document.objects.filter(pk__in=[d.pk for d in held]).count() == 2

    counts = run_on(datetime.date(2026, 4, 2))
    assert counts["justification_documents"] == 1 and counts["documents"] == 1
    assert not Document.objects.filter(pk__in=[d.pk for d in held]).exists()
    assert paths.isdisjoint(str(path) for path in stored_files())
    quotient.refresh_from_db()
    justification.refresh_from_db()
    assert (quotient.value, quotient.source_document) == (750, None)
    assert (justification.state, justification.document) == (
        AbsenceJustification.State.ACCEPTED, None)


def test_old_justifications_words_past_priorities_and_expired_sessions_go(run_on, client):
    """Health data with no rule of their own before: an old justification's details (« il
    a la varicelle ») go with its certificate, its decision stays; a staff-set priority (its
    reason may tell a disability) goes the day after its end, with its history; sessions
    expired stay no longer in the database."""
    from django.contrib.sessions.models import Session

    from reservations.models import AllocationPriority

    with at(datetime.date(2025, 1, 10)):
        family = GuardianFactory().family
        slot = SlotFactory(activity=ActivityFactory(
            school_year=SchoolYearFactory(start_year=2024)), date=datetime.date(2025, 4, 1))
        justification = AbsenceJustification.objects.create(
            reservation=ReservationFactory(slot=slot, child=ChildFactory(family=family)),
            reason=AbsenceJustification.Reason.ILLNESS, details="Il a la varicelle.",
            submitted_by=StaffFactory(), state=AbsenceJustification.State.ACCEPTED)
        priority = AllocationPriority.objects.create(
            family=family, note="Handicap reconnu (MDPH)", set_by=StaffFactory(),
            valid_until=datetime.date(2025, 8, 31))
        lasting = AllocationPriority.objects.create(family=family, note="Suivi social",
                                                    set_by=StaffFactory())
        client.force_login(family.guardians.first().user)
    assert Session.objects.exists()

    counts = run_on(datetime.date(2025, 8, 31))  # its last day
    assert counts["allocation_priorities"] == 0
    justification.refresh_from_db()
    assert justification.details == "Il a la varicelle."

    counts = run_on(datetime.date(2025, 9, 1))
    assert counts["allocation_priorities"] == 1
    assert list(AllocationPriority.objects.all()) == [lasting]
    assert not AllocationPriority.history.filter(id=priority.pk).exists()

    run_on(datetime.date(2026, 4, 2))  # the day is older than the documents' period
    justification.refresh_from_db()
    assert (justification.details, justification.reason, justification.state) == (
        "", AbsenceJustification.Reason.ILLNESS, AbsenceJustification.State.ACCEPTED)
    assert not AbsenceJustification.history.filter(id=justification.pk).exclude(
        details="").exists()
    assert not Session.objects.exists()  # two weeks: expired long ago


def test_outbox_bodies_and_access_logs_expire_metadata_stays(run_on):
    sent_on = datetime.date(2025, 2, 1)
    with at(sent_on, hour=10):
        message = OutboxMessage.objects.create(
            to=["parent@example.org"], subject="Votre facture", body_text="Bonjour…",
            body_html="<p>Bonjour…</p>", from_email="portail@example.org",
            status=OutboxMessage.Status.SENT, sent_at=datetime.datetime.now(PARIS))
        staff = StaffFactory()
        annual_file = AnnualFileFactory()
        HealthDataAccess.objects.create(
            user=staff, annual_file=annual_file,
            content_type=ContentType.objects.get_for_model(AnnualFile))
        DocumentAccess.objects.create(user=staff, document=annual_file.income_document)

    days = commune().retention_outbox_body_days
    run_on(sent_on + datetime.timedelta(days=days))
    message.refresh_from_db()
    assert message.body_text == "Bonjour…"
    assert run_on(sent_on + datetime.timedelta(days=days + 1))["outbox_bodies"] == 1
    message.refresh_from_db()
    assert (message.body_text, message.body_html) == ("", "")
    assert (message.subject, message.to, message.status) == (
        "Votre facture", ["parent@example.org"], OutboxMessage.Status.SENT)
    assert message.sent_at is not None

    kept = commune().retention_access_log_days
    assert kept == 365
    run_on(sent_on + datetime.timedelta(days=kept - 1))
    assert HealthDataAccess.objects.count() == DocumentAccess.objects.count() == 1
    counts = run_on(sent_on + datetime.timedelta(days=kept + 1))
    assert (counts["health_accesses"], counts["document_accesses"]) == (1, 1)
    assert not HealthDataAccess.objects.exists() and not DocumentAccess.objects.exists()


def invoice_rows():
    return ([model_to_dict(i) for i in Invoice.objects.order_by("pk")],
            [model_to_dict(p) for p in Payment.objects.order_by("pk")])


def test_an_inactive_account_is_warned_then_anonymised_its_invoices_intact(run_on):
    last_login = datetime.datetime(2022, 5, 2, 18, 0, tzinfo=PARIS)
    with time_machine.travel(last_login, tick=False):
        guardian = GuardianFactory()
        User.objects.filter(pk=guardian.user_id).update(last_login=last_login)
        family = guardian.family
        annual_file = AnnualFileFactory(child=ChildFactory(family=family),
                                        school_year=SchoolYearFactory(start_year=2021))
        ContactFactory(family=family)
        invoice = InvoiceFactory(issued=True, family=family, total_cents=4250)
        pay(invoice)
        returning = GuardianFactory()  # inactive as long, but logs in after the warning
        User.objects.filter(pk=returning.user_id).update(last_login=last_login)
    email = guardian.user.email
    accounting = invoice_rows()
    years = commune().retention_inactive_account_years
    warned_on = (last_login + relativedelta(years=years)).date()

    assert run_on(warned_on)["accounts_warned"] == 0  # three years to the day: not yet
    assert run_on(warned_on + datetime.timedelta(days=1))["accounts_warned"] == 2
    warning = OutboxMessage.objects.get(template="account_inactive", to=[email])
    assert "Sans connexion de votre part d'ici le" in warning.body_text
    assert run_on(warned_on + datetime.timedelta(days=2))["accounts_warned"] == 0  # once

    with at(warned_on + datetime.timedelta(days=5), hour=12):
        User.objects.filter(pk=returning.user_id).update(
            last_login=datetime.datetime.now(PARIS))
    assert run_on(warned_on + datetime.timedelta(days=30))["accounts_anonymised"] == 0
    counts = run_on(warned_on + datetime.timedelta(days=32))
    assert counts["accounts_anonymised"] == 1

    user = User.objects.get(pk=guardian.user_id)
    assert not user.is_active and not user.has_usable_password()
    assert user.email != email and not User.objects.filter(email=email).exists()
    guardian.refresh_from_db()
    family.refresh_from_db()
    assert (guardian.mobile_phone, family.address, family.city) == ("", "", "")
    assert not Document.objects.filter(family=family).exists()
    assert not Contact.objects.filter(family=family).exists()
    assert health_of(annual_file)["allergies"] == ""
    # The accounting records and the names on them: exactly as before.
    assert invoice_rows() == accounting
    assert (family.name, guardian.last_name) != ("", "")
    # The parent who came back keeps everything.
    returning.user.refresh_from_db()
    assert returning.user.is_active and returning.user.inactivity_warned_at is None
    # The beat task runs the same thing (and an anonymised account is left alone).
    with at(warned_on + datetime.timedelta(days=33)):
        assert apply_retention.apply().get()["accounts_anonymised"] == 0


def test_a_household_served_at_the_counter_without_news_is_warned_by_letter_then_closed(
        run_on):
    """No account, no logins to count: the service's news of the household (its journal,
    the letters printed for it) is the clock. Years without any: a letter to print, then
    its data erased as a closed account's, invoices intact; news after the letter cancels."""
    from familles.models import Family, Letter
    from tests.scenarios.counter import counter_family

    created = datetime.datetime(2022, 5, 2, 10, 0, tzinfo=PARIS)
    with time_machine.travel(created, tick=False):
        agent = StaffFactory()
        family = counter_family(agent)
        ContactFactory(family=family)
        DocumentFactory(family=family)
        invoice = InvoiceFactory(issued=True, family=family, total_cents=3100)
        pay(invoice)
        staying = counter_family(agent, child_name="Nolwenn")
    guardian = family.guardians.get()
    assert guardian.by_post and guardian.home_phone
    accounting = invoice_rows()
    years = commune().retention_inactive_account_years
    warned_on = (created + relativedelta(years=years)).date()

    assert run_on(warned_on - datetime.timedelta(days=1))["households_warned"] == 0
    assert run_on(warned_on + datetime.timedelta(days=1))["households_warned"] == 2
    letter = Letter.objects.get(family=family, template="household_dormant")
    assert "passer au guichet" in letter.body_text and letter.printed_at is None
    assert run_on(warned_on + datetime.timedelta(days=2))["households_warned"] == 0  # once

    with at(warned_on + datetime.timedelta(days=5), hour=11):  # the other came to the desk
        FamilyEvent.objects.create(family=staying, summary="Passage au guichet", actor=agent)
    assert run_on(warned_on + datetime.timedelta(days=30))["households_closed"] == 0
    assert run_on(warned_on + datetime.timedelta(days=32))["households_closed"] == 1

    family.refresh_from_db()
    guardian.refresh_from_db()
    assert (family.address, family.city, guardian.home_phone) == ("", "", "")
    assert family.data_erased_at is not None
    assert not Document.objects.filter(family=family).exists()
    assert not Contact.objects.filter(family=family).exists()
    assert invoice_rows() == accounting
    assert (family.name, guardian.last_name) == ("Famille Le Goff", "Le Goff")
    staying = Family.objects.get(pk=staying.pk)
    assert staying.address and staying.inactivity_warned_at is None
    # Closed once: the next nights leave it alone and write it no more letters.
    later = run_on(warned_on + datetime.timedelta(days=400))
    assert later["households_closed"] == 0
    assert Letter.objects.filter(family=family, template="household_dormant").count() == 1


def test_staff_set_the_periods_and_cannot_go_below_the_floors(staff_client):
    change = reverse("admin:ground_communesettings_change", args=[1])
    assert "Conservation des traces d'accès (jours)" in visible_text(staff_client.get(change))
    row = commune()
    data = {f.name: getattr(row, f.name) for f in row._meta.concrete_fields
            if f.editable and f.name != "payment_methods"}
    data["payment_methods"] = row.payment_methods
    data.update(retention_access_log_days=200, retention_document_months=6)
    response = staff_client.post(change, data)
    assert response.status_code == 200
    assert ("Les traces d'accès sont gardées au moins un an (recommandation de la CNIL)."
            in visible_text(response))
    data["retention_access_log_days"] = 400
    assert staff_client.post(change, data).status_code == 302
    row.refresh_from_db()
    assert (row.retention_access_log_days, row.retention_document_months) == (400, 6)
    row.retention_outbox_body_days = 0
    with pytest.raises(ValidationError):
        row.full_clean()
