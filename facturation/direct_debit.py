"""SEPA direct debit, the read side and its rules: a household's mandate, when an invoice is
debited, whether it may still be paid online (docs/prelevement.md). The changes are in
facturation/services/direct_debit.py, the collection file in facturation/sepa_file.py.

When an invoice is debited: on its due date, but never before the notice the commune sets
(`direct_debit_notice_days`, 14 days at least) has run from the day the family was told —
the invoice's e-mail and PDF for a household that had a mandate when it was issued, the
mandate's confirmation for the invoices still owed when it is signed."""

import datetime

from django.utils import timezone

from ground import crypto
from ground.commune import commune
from ground.models import CommuneSettings

from .models import CreditNote, DebitItem, Invoice, Mandate, euros


def offered() -> bool:
    """The commune offers direct debit (it then has its IBAN and creditor identifier)."""
    return commune().offers(CommuneSettings.PaymentMethod.DIRECT_DEBIT)


def active_mandate(family) -> Mandate | None:
    return Mandate.objects.filter(family=family, status=Mandate.Status.ACTIVE).first()


def mask(iban: str) -> str:
    """FR7630001007941234567890185 → "FR76 •••• •••• 0185": the country and the last four
    characters, enough for a family to recognise its account and for nobody to use it."""
    return f"{iban[:4]} •••• •••• {iban[-4:]}"


def clear_iban(mandate: Mandate) -> str:
    """The mandate's IBAN in clear: for the collection file only, never for a page."""
    return crypto.decrypt(mandate.iban_encrypted)


def debit_date(invoice: Invoice, mandate: Mandate) -> datetime.date:
    """The day the invoice is debited under the mandate (module docstring)."""
    told_on = max(timezone.localdate(invoice.issued_at), mandate.signed_on)
    return max(invoice.due_date,
               told_on + datetime.timedelta(days=commune().direct_debit_notice_days))


def blocks_online_payment(invoice: Invoice) -> bool:
    """The invoice is in a collection file not rejected: the bank debits it, so no online
    payment may be started for it (the online providers call this before starting one)."""
    return DebitItem.objects.filter(invoice=invoice, rejected_at__isnull=True).exists()


def to_debit(family=None):
    """The issued invoices the next collection file may take: the household has an active
    mandate, the invoice is not cancelled by a credit note, not in a live file already, and
    was never rejected (a rejected debit is paid another way: the family is told so), and
    something is still owed on it (annotated with its balances, `balance` what is owed)."""
    invoices = Invoice.objects.filter(
        state=Invoice.State.ISSUED, family__mandates__status=Mandate.Status.ACTIVE,
    ).exclude(pk__in=CreditNote.objects.values("invoice")).exclude(
        pk__in=DebitItem.objects.values("invoice"))
    if family is not None:
        invoices = invoices.filter(family=family)
    return invoices.with_balances().filter(balance__gt=0)


def next_collection_date() -> datetime.date:
    """The first day a collection file would take something: the earliest debit day of the
    invoices to debit, and never before tomorrow (the bank receives the file first)."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    mandates = {m.family_id: m for m in Mandate.objects.filter(status=Mandate.Status.ACTIVE)}
    days = [debit_date(invoice, mandates[invoice.family_id])
            for invoice in to_debit().only("pk", "family_id", "issued_at", "due_date")]
    return max(tomorrow, min(days, default=tomorrow))


def awaiting_debit():
    """The invoices the next collection files will take (the household has an active mandate,
    never debited yet): no reminder asks the family to pay them."""
    return Invoice.objects.filter(family__mandates__status=Mandate.Status.ACTIVE).exclude(
        pk__in=DebitItem.objects.values("invoice"))


def debit_in_file(invoice: Invoice):
    """The invoice's debit sent in a collection file and not rejected, as `upcoming_debit`
    writes it, with "in_file": nothing else to pay; None when there is none."""
    item = DebitItem.objects.filter(invoice=invoice, rejected_at__isnull=True).select_related(
        "batch", "mandate").first()
    if item is None:
        return None
    return {"amount_cents": item.amount_cents, "amount": euros(item.amount_cents),
            "date": item.batch.collection_date, "reference": item.mandate.reference,
            "in_file": True}


def upcoming_debit(invoice: Invoice, family, signed_by: datetime.date | None = None):
    """The debit the household's active mandate (signed by `signed_by`, if given) will make
    of the invoice: {"amount_cents", "amount" (in euros), "date", "reference" (RUM)}, or the
    one already in a collection file (`debit_in_file`); None when there is none (no mandate,
    paid, cancelled)."""
    sent = debit_in_file(invoice)
    if sent is not None:
        return sent
    if not offered():
        return None
    mandates = Mandate.objects.filter(family=family, status=Mandate.Status.ACTIVE)
    if signed_by is not None:
        mandates = mandates.filter(signed_on__lte=signed_by)
    mandate = mandates.first()
    owed = to_debit(family).filter(pk=invoice.pk).values_list("balance", flat=True).first()
    if mandate is None or owed is None:
        return None
    return {"amount_cents": owed, "amount": euros(owed), "date": debit_date(invoice, mandate),
            "reference": mandate.reference}


def pre_notification(invoice: Invoice, family):
    """What the invoice's e-mail and PDF announce (`upcoming_debit`) when the household had
    its mandate when the invoice was issued; None otherwise."""
    if invoice.state != Invoice.State.ISSUED:
        return None
    return upcoming_debit(invoice, family, signed_by=timezone.localdate(invoice.issued_at))
