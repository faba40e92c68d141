"""Read side of the parent's invoice pages and dashboard (every query goes through the family),
and of the staff's balances.

What an invoice still owes is derived (total − valid payments − credit notes) and annotated
in SQL, so that a list of invoices costs one query whatever its length."""

from collections import defaultdict
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ground import french
from ground.calendar import month_bounds
from ground.french import dates_text
from reservations.models import AbsenceJustification, Attendance, Reservation, Slot

from .models import Attestation, CreditNote, Invoice, InvoiceCharge, InvoiceLine, Payment, euros


def family_invoices(family):
    """The family's issued invoices (drafts never), each annotated with its balances
    (`Invoice.objects.with_balances()`)."""
    return (Invoice.objects.filter(family=family, state=Invoice.State.ISSUED)
            .with_balances().order_by("-month", "-issued_at"))


def family_invoice(family, pk, today: date) -> Invoice:
    """One of the family's issued invoices, passed through `with_status` (one query); any
    other id (another family's invoice, a draft) raises Invoice.DoesNotExist (the views answer
    404)."""
    invoice = family_invoices(family).select_related("corrects").get(pk=pk)
    [invoice] = with_status([invoice], today)
    return invoice


class Status:
    """An invoice's state for the family, in words in templates/facturation/_invoice_state.html."""

    CANCELLED = "cancelled"  # credited in full by a credit note
    PAID = "paid"
    PARTIAL = "partial"  # partly paid, not yet due
    LATE = "late"  # something left to pay after the due date
    DUE = "due"


def status_of(invoice, today: date) -> str:
    if invoice.balance <= 0:
        return Status.CANCELLED if invoice.credited_sum >= invoice.total_cents else Status.PAID
    if invoice.due_date < today:
        return Status.LATE
    return Status.PARTIAL if invoice.paid_sum else Status.DUE


def with_status(invoices, today: date) -> list:
    """The invoices, each with `.status`, its sums written in euros (`paid_text`,
    `credited_text`, `balance_text`) and `overpaid_text` (paid on an invoice a credit note
    then cancelled: the service owes it back)."""
    invoices = list(invoices)
    for invoice in invoices:
        invoice.status = status_of(invoice, today)
        invoice.paid_text = euros(invoice.paid_sum)
        invoice.received_text = euros(invoice.received_sum)
        invoice.carried_text = euros(invoice.carried_sum)
        invoice.credited_text = euros(invoice.credited_sum)
        invoice.balance_text = euros(max(0, invoice.balance))
        invoice.overpaid_text = euros(-invoice.balance) if invoice.balance < 0 else ""
    return invoices


def split_invoices(family, today: date) -> tuple[list, list]:
    """(to pay, oldest due date first; settled: paid or cancelled, newest first)."""
    invoices = with_status(family_invoices(family), today)
    to_pay = sorted((i for i in invoices if i.balance > 0),
                    key=lambda i: (i.due_date, i.number))
    settled = [i for i in invoices if i.balance <= 0]
    return to_pay, settled


def family_balances(search: str, today: date) -> list[dict]:
    """Per family that owes or is owed something on its issued invoices (one query), most
    owed first: `family_id`, `name`, `due` (negative: paid too much), `count` (invoices to
    pay), `late` (owed past due), `oldest` (the oldest due date passed), in cents, and
    `due_words`, `late_words` in euros."""
    invoices = Invoice.objects.filter(state=Invoice.State.ISSUED).with_balances().exclude(
        balance=0)
    if search:
        invoices = invoices.filter(family__name__icontains=search)
    families = defaultdict(lambda: {"due": 0, "count": 0, "late": 0, "oldest": None})
    names = {}
    for family_id, name, balance, due_date in invoices.values_list(
            "family_id", "family__name", "balance", "due_date"):
        row = families[family_id]
        names[family_id] = name
        row["due"] += balance
        if balance > 0:
            row["count"] += 1
            if due_date < today:
                row["late"] += balance
                row["oldest"] = min(filter(None, [row["oldest"], due_date]))
    return sorted(({"family_id": pk, "name": names[pk], **row,
                    "due_words": euros(row["due"]), "late_words": euros(row["late"])}
                   for pk, row in families.items()),
                  key=lambda r: (-r["due"], r["name"]))


def family_credit_notes(family) -> list:
    """The credit notes on the family's invoices, newest first, with `amount_text`."""
    return _with_amount_text(CreditNote.objects.filter(
        invoice__family=family, invoice__state=Invoice.State.ISSUED).select_related(
        "invoice").order_by("-issued_at", "-number"))


def invoice_lines(invoice) -> list:
    """The invoice's lines, each with `dates_text` (its days written out short)."""
    lines = list(InvoiceLine.objects.filter(invoice=invoice).select_related(
        "child", "activity", "unit"))
    for line in lines:
        line.dates_text = dates_text(line.dates)
        line.unit_price_text = euros(line.unit_price_cents)
        line.amount_text = euros(line.amount_cents)
    return lines


def _with_amount_text(rows) -> list:
    rows = list(rows)
    for row in rows:
        row.amount_text = euros(row.amount_cents)
    return rows


def invoice_context(invoice) -> dict:
    """What the detail page and the PDF show besides the invoice itself (an invoice of
    `family_invoices`, passed through `with_status`)."""
    return {
        "lines": invoice_lines(invoice),
        # The household's charges besides its days (a reject fee), each with `amount_text`.
        "charges": _with_amount_text(InvoiceCharge.objects.filter(invoice=invoice)),
        "credit_notes": _with_amount_text(invoice.credit_notes.order_by("issued_at")),
        "payments": _with_amount_text(invoice.payments.order_by("received_at")),
        "corrected_credit_notes": (list(invoice.corrects.credit_notes.order_by("issued_at"))
                                   if invoice.corrects_id else []),
        "replaced_by": list(invoice.corrections.filter(state=Invoice.State.ISSUED)
                            .order_by("issued_at")),
    }


# Attestations --------------------------------------------------------------------------------

def family_attestations(family) -> list:
    """The household's issued attestations, newest first, each with `description` and
    `replaced_number` (the version that replaced it, if any). Drafts never."""
    rows = list(Attestation.objects.filter(family=family, state=Attestation.State.ISSUED)
                .select_related("child", "replaced_by").order_by("-issued_at", "-number"))
    for row in rows:
        row.description = describe(row)
        replaced = getattr(row, "replaced_by", None)
        row.replaced_number = replaced.number if replaced and replaced.number else ""
    return rows


def family_attestation(family, pk):
    """One of the household's issued attestations; anything else (another household's, a
    draft) raises Attestation.DoesNotExist (the views answer 404)."""
    return Attestation.objects.filter(family=family, state=Attestation.State.ISSUED).get(pk=pk)


def payment_years(family, today: date) -> list[int]:
    """The finished calendar years in which the household paid something, newest first."""
    years = Payment.objects.filter(invoice__family=family).datetimes("received_at", "year")
    return sorted({d.year for d in years if d.year < today.year}, reverse=True)


def verified_attestation(code: str):
    """The issued attestation with that verification code, or None."""
    return (Attestation.objects.filter(verification_code=code.strip(),
                                       state=Attestation.State.ISSUED)
            .select_related("family", "replaced_by").first())


def describe(attestation: Attestation) -> str:
    """One line a family reads in a list: "Attestation fiscale 2026 – 171,50 €"."""
    if attestation.kind == Attestation.Kind.FISCAL:
        return _("Attestation fiscale %(year)s – %(amount)s") % {
            "year": attestation.year, "amount": euros(attestation.total_cents)}
    if attestation.kind == Attestation.Kind.PAYMENTS:
        return _("Relevé des paiements %(year)s") % {"year": attestation.year}
    return _("Attestation de présence %(of_child)s, du %(first)s au %(last)s") % {
        "of_child": french.de(attestation.child.first_name),
        "first": french.format_day(attestation.period_start, "j F Y"),
        "last": french.format_day(attestation.period_end, "j F Y")}



# The staff's billing run --------------------------------------------------------------------

def run_checks(month: date, prepared_at=None) -> dict:
    """What is not settled yet in a month being billed, listed on its draft so that staff
    issue knowingly: the absence justifications still to decide (an acceptance frees the
    day), the registers not taken (days with bookings but no attendance recorded) and, given
    when the draft was prepared, the decisions and marks made since (it is then stale)."""
    first, last = month_bounds(month)
    changed_since = 0
    if prepared_at is not None:
        changed_since = AbsenceJustification.objects.filter(
            reservation__slot__date__range=(first, last), decided_at__gt=prepared_at,
        ).count() + Attendance.objects.filter(
            date__range=(first, last), recorded_at__gt=prepared_at).count()
    pending = list(AbsenceJustification.objects.filter(
        state=AbsenceJustification.State.SUBMITTED,
        reservation__slot__date__range=(first, last),
    ).select_related("reservation__child", "reservation__slot__activity",
                     "reservation__slot__unit").order_by("reservation__slot__date", "pk"))
    recorded = Attendance.objects.filter(activity=OuterRef("activity"), unit=OuterRef("unit"),
                                         date=OuterRef("date"))
    # A month drafted in progress (billed in advance): its days ahead have no register yet.
    unrecorded = list(Slot.objects.filter(
        date__range=(first, min(last, timezone.localdate())),
        reservations__state=Reservation.State.CONFIRMED,
    ).exclude(Exists(recorded)).values("date", "activity__name", "unit__label").annotate(
        children=Count("reservations", filter=Q(
            reservations__state=Reservation.State.CONFIRMED))).order_by(
        "date", "activity__name", "unit__label"))
    return {"pending_justifications": pending, "unrecorded_registers": unrecorded,
            "changed_since": changed_since}
