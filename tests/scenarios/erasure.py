"""Builders for the right to erasure (issue 27): a household holding something of every kind
an erasure deletes or keeps, and the staff allowed to decide."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.forms.models import model_to_dict
from django.utils import timezone

from facturation.models import CreditNote, Invoice, InvoiceLine, Payment
from familles.models import Child, Document, Guardian
from ground.models import OutboxMessage
from inscriptions.models import AnnualFile
from portail import erasure
from reservations.models import AbsenceJustification, Reservation, Slot
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import InvoiceFactory, give_qf, issued_invoice, pay, priced_activity
from tests.scenarios.enrolments import SchoolYearFactory
from tests.scenarios.families import ChildFactory, ContactFactory, DocumentFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory, ready_child


@dataclass
class Household:
    guardian: Guardian
    child: Child
    annual_file: AnnualFile
    invoice: Invoice
    justification: AbsenceJustification
    future: Reservation        # the household's booking still cancellable
    waiting: Reservation       # another household's child, waiting for that place
    slot: Slot


def school_year_start(today: datetime.date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def household_to_erase(guardian=None) -> Household:
    """A household of the current school year: a dossier with health data and documents,
    an entourage, an income proof held by a quotient decision, an October invoice (lines,
    paid) and a credit note on another, an absence justified with a certificate, an e-mail
    sent, and a booking in four weeks on a full slot another child waits for."""
    today = timezone.localdate()
    year = SchoolYearFactory(start_year=school_year_start(today))
    activity = priced_activity(school_year=year)
    booker = ready_child(activity, guardian)
    family, child = booker.family, booker.child
    quotient = give_qf(family, 900)
    quotient.source_document = DocumentFactory(family=family, original_name="avis-impot.pdf")
    quotient.save()
    ContactFactory(family=family, first_name="Mamie", children=[child])
    invoice = issued_invoice(activity, child, month=10)
    pay(invoice)
    cancelled = InvoiceFactory(issued=True, family=family, total_cents=1200)
    CreditNote.objects.create(invoice=cancelled, number=f"AV-{today.year}-990001",
                              amount_cents=1200, reason="Erreur de tarif",
                              issued_at=timezone.now())
    billed_day = Reservation.objects.filter(child=child).order_by("slot__date").first()
    justification = AbsenceJustification.objects.create(
        reservation=billed_day, reason=AbsenceJustification.Reason.ILLNESS,
        details="Gastro-entérite, fièvre", submitted_by=booker.user,
        document=DocumentFactory(family=family, child=child,
                                 kind=Document.Kind.MEDICAL_CERTIFICATE))
    OutboxMessage.objects.create(
        to=[booker.user.email], subject="Votre facture", body_text="Bonjour, votre facture…",
        from_email="portail@example.org", status=OutboxMessage.Status.SENT,
        sent_at=timezone.now())
    slot = SlotFactory(activity=activity, date=today + datetime.timedelta(days=28), capacity=1)
    future = ReservationFactory(slot=slot, child=child, family=family)
    other = ChildFactory()
    waiting = ReservationFactory(slot=slot, child=other, family=other.family,
                                 state=Reservation.State.WAITING, confirmed_at=None,
                                 waiting_since=timezone.now())
    return Household(guardian=booker.guardian, child=child,
                     annual_file=AnnualFile.objects.get(child=child), invoice=invoice,
                     justification=justification, future=future, waiting=waiting, slot=slot)


def accounting_rows(family) -> dict:
    """Every accounting row of the household, as the database holds it."""
    def rows(queryset):
        return [model_to_dict(row) for row in queryset.order_by("pk")]
    return {"invoices": rows(Invoice.objects.filter(family=family)),
            "lines": rows(InvoiceLine.objects.filter(invoice__family=family)),
            "credit_notes": rows(CreditNote.objects.filter(invoice__family=family)),
            "payments": rows(Payment.objects.filter(invoice__family=family))}


def erasure_officer():
    """An agent of the service given `portail.approve_erasure` (the group has it not)."""
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="approve_erasure"))
    return staff


def pending_request(guardian, message=""):
    """The guardian's request to close the account, waiting for the service."""
    return erasure.request_erasure(guardian.user, guardian.family, confirmed=True,
                                   message=message)
