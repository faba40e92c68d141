"""The monthly billing run: what is billable, priced, drafted, then issued.

What a month bills (Publik's check types, per activity through `BillingRule`):
- a confirmed reservation: billed, unless its absence justification was accepted, or the
  register marked the child absent and the activity does not bill unjustified absences;
- a reservation cancelled in time: free; cancelled after the deadline (by staff, "hors
  délai"): billed if the activity bills late cancellations; a waiting request: free;
- a presence recorded without a reservation (before/after-school care, an unexpected child):
  billed.
A reservation is billed to the household that booked it (shared custody: the family of that
week); a presence without reservation to the payer of the child's dossier administratif.
A household's other charges (`FamilyCharge`: a reject fee) are billed once, by the first
month prepared for it that has no issued invoice of the household yet (`_month_charges`).

Preparing a month again replaces its draft and never duplicates anything: a family whose
issued invoice still matches gets nothing; one whose days changed gets a corrective invoice,
and issuing it credits the old one in full (`CreditNote`). Numbers are taken at issue, from a
locked per-year sequence, inside the issuing transaction: no gap, no duplicate."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.letters import write_to_family
from familles.models import Family
from ground.calendar import month_bounds, month_label
from ground.commune import commune
from ground.task_queue import queue_task
from inscriptions.models import AnnualFile, FamilyQuotient
from reservations.models import AbsenceJustification, Attendance, Reservation

from .. import direct_debit, payment_methods
from ..models import (
    BillingRule,
    BillingRun,
    CreditNote,
    FamilyCharge,
    Invoice,
    InvoiceCharge,
    InvoiceLine,
    NumberSequence,
    Payment,
)
from ..pricing import (
    bracket_price,
    is_outside_commune,
    tariff_on,
    tariffs_by_unit,
    with_sibling_reduction,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One billable unit on one day."""

    family_id: int
    child: object
    activity: object
    unit: object
    day: date


def _reservation_is_billed(reservation: Reservation) -> bool:
    rule = getattr(reservation.slot.activity, "billing_rule", None)
    justification = getattr(reservation, "justification", None)
    if justification is not None and justification.state == AbsenceJustification.State.ACCEPTED:
        return False
    if reservation.state == Reservation.State.CANCELLED:
        return reservation.cancelled_late and (rule is None or rule.bill_late_cancellation)
    attendance = getattr(reservation, "attendance", None)
    if attendance is not None and attendance.status == Attendance.Status.ABSENT:
        return rule is None or rule.bill_unjustified_absence
    return True


def billable_items(month: date, advance_only: bool = False) -> list[Item]:
    """The month's billable units; `advance_only`: only those of activities billed in
    advance (a month in progress, `prepare_month`)."""
    first, last = month_bounds(month)
    items = []
    reservations = Reservation.objects.filter(slot__date__range=(first, last))
    presences = Attendance.objects.filter(date__range=(first, last))
    if advance_only:
        reservations = reservations.filter(slot__activity__billing_rule__bill_in_advance=True)
        presences = presences.filter(activity__billing_rule__bill_in_advance=True)
    reservations = reservations.filter(
        Q(state=Reservation.State.CONFIRMED)
        | Q(state=Reservation.State.CANCELLED, cancelled_late=True)
    ).select_related("child", "slot__activity__billing_rule", "slot__unit", "attendance",
                     "justification")
    for reservation in reservations:
        if _reservation_is_billed(reservation):
            slot = reservation.slot
            items.append(Item(reservation.family_id, reservation.child, slot.activity,
                              slot.unit, slot.date))
    presences = list(presences.filter(
        reservation__isnull=True,
        status=Attendance.Status.PRESENT,
    ).select_related("child", "activity", "unit"))
    payers = _dossier_payers({(a.child_id, a.activity.school_year_id) for a in presences})
    for presence in presences:
        payer = payers.get((presence.child_id, presence.activity.school_year_id),
                           presence.child.family_id)
        items.append(Item(payer, presence.child, presence.activity, presence.unit,
                          presence.date))
    return items


def _dossier_payers(keys) -> dict:
    if not keys:
        return {}
    files = AnnualFile.objects.filter(
        child_id__in={c for c, _y in keys}, school_year_id__in={y for _c, y in keys}
    ).select_related("child")
    return {(f.child_id, f.school_year_id): f.payer_family_id or f.child.family_id
            for f in files}


@dataclass
class LineData:
    child: object
    activity: object
    unit: object
    unit_price_cents: int
    dates: list

    @property
    def key(self):
        return (self.child.pk, self.activity.pk, self.unit.pk, self.unit_price_cents,
                tuple(self.dates))


def priced_lines(items: list[Item]) -> dict[int, list[LineData]]:
    """Per payer family, the lines: each child, activity, unit and price with its dates."""
    families = Family.objects.in_bulk({i.family_id for i in items})
    tariffs = tariffs_by_unit({i.unit.pk for i in items})
    quotients = defaultdict(list)
    for quotient in FamilyQuotient.objects.filter(family_id__in=families).order_by("-set_at"):
        quotients[quotient.family_id].append(quotient)
    # Sibling rank per family and unit: the eldest child with days on that unit first.
    children = defaultdict(set)
    for item in items:
        children[(item.family_id, item.unit.pk)].add(item.child)
    rank = {key: {c.pk: n for n, c in enumerate(sorted(kids, key=lambda c: (c.birth_date,
                                                                             c.pk)))}
            for key, kids in children.items()}
    missing = set()
    grouped = defaultdict(list)
    for item in items:
        tariff = tariff_on(tariffs.get(item.unit.pk, []), item.day)
        if tariff is None or not tariff.brackets.all():
            missing.add(_("%(unit)s de « %(activity)s » au %(day)s") % {
                "unit": item.unit.label, "activity": item.activity.name,
                "day": f"{item.day:%d/%m/%Y}"})
            continue
        family = families[item.family_id]
        quotient = next((q.value for q in quotients[item.family_id]
                         if q.valid_from <= item.day <= q.valid_until), None)
        price = with_sibling_reduction(
            bracket_price(tariff, quotient, is_outside_commune(family)),
            tariff.sibling_reduction_percent, rank[(item.family_id, item.unit.pk)][item.child.pk])
        grouped[(item.family_id, item.child.pk, item.activity.pk, item.unit.pk, price)].append(
            item)
    if missing:
        raise ValidationError(_("Aucun tarif pour : %(list)s. Saisissez-les avant de "
                                "préparer la facturation.") % {"list": ", ".join(sorted(missing))})
    lines = defaultdict(list)
    for (family_id, *_rest, price), group in grouped.items():
        first = group[0]
        lines[family_id].append(LineData(first.child, first.activity, first.unit, price,
                                         sorted({i.day.isoformat() for i in group})))
    return lines


def _effective_invoices(month: date) -> dict[int, Invoice]:
    """Per family, the issued invoice of the month that no credit note has cancelled."""
    invoices = Invoice.objects.filter(month=month, state=Invoice.State.ISSUED,
                                      credit_notes__isnull=True).prefetch_related(
        "lines", "charge_lines")
    return {invoice.family_id: invoice for invoice in invoices.order_by("issued_at")}


def _line_keys(invoice: Invoice) -> set:
    return {(line.child_id, line.activity_id, line.unit_id, line.unit_price_cents,
             tuple(line.dates)) for line in invoice.lines.all()} | {
        ("charge", row.charge_id, row.amount_cents) for row in invoice.charge_lines.all()}


def _expected_keys(lines, charges) -> set:
    return {line.key for line in lines} | {("charge", charge.pk, charge.amount_cents)
                                           for charge in charges}


def _month_charges(month: date, invoiced_families) -> dict[int, list[FamilyCharge]]:
    """Per family, the charges the month bills: those it took already (a draft prepared
    again, a correction), and the pending ones of a household with no issued invoice for the
    month yet, arisen by the month's end, which it takes now. Locked first: two months
    prepared at once never take the same charge (the second sees it taken)."""
    _first, last = month_bounds(month)
    pending = FamilyCharge.objects.select_for_update().filter(
        month__isnull=True, created_at__date__lte=last).exclude(
        family_id__in=invoiced_families)
    FamilyCharge.objects.filter(pk__in=[c.pk for c in pending]).update(month=month)
    charges = defaultdict(list)
    for charge in FamilyCharge.objects.filter(month=month).order_by("created_at", "pk"):
        charges[charge.family_id].append(charge)
    return charges


def prepare_month(month: date, staff_user=None, now=None) -> BillingRun:
    """What staff and beat call to draft a month: only once it has ended (its days held, its
    registers taken, its absences justified), except for activities whose billing rule says
    « facturation à l'avance »: a month in progress drafts only their days."""
    now = now or timezone.now()
    month = month.replace(day=1)
    today = timezone.localdate(now)
    _first, last = month_bounds(month)
    if month > today:
        raise ValidationError(_("Ce mois n'a pas encore commencé."))
    if _in_progress(month, today) and not BillingRule.objects.filter(bill_in_advance=True).exists():
        raise ValidationError(_(
            "Ce mois (%(month)s) n'est pas terminé : il se facture à partir du 1er "
            "%(next)s, quand ses journées ont eu lieu et ses registres sont remplis. Seules "
            "les activités « facturées à l'avance » (règle de facturation) peuvent l'être "
            "avant.") % {"month": month_label(month),
                         "next": month_label(last + timedelta(days=1))})
    return prepare_run(month, staff_user, now)


def _in_progress(month: date, today: date) -> bool:
    """A month begun but not ended bills only the activities billed in advance, whatever
    path bills it (a draft, a correction). A month ahead is refused by `prepare_month`; only
    the engine called directly (demo, tests) bills one, in full."""
    return month <= today <= month_bounds(month)[1]


def prepare_run(month: date, staff_user=None, now=None) -> BillingRun:
    """Draft the month's invoices (again): the draft is replaced, issued invoices stay. The
    engine: staff and beat go through `prepare_month`, which refuses a month not billable
    yet; a month in progress drafts only what is billed in advance, whoever calls."""
    now = now or timezone.now()
    month = month.replace(day=1)
    advance_only = _in_progress(month, timezone.localdate(now))
    # Outside the transaction: read-only work.
    lines = priced_lines(billable_items(month, advance_only))
    with transaction.atomic():
        run = _draft_run(month, staff_user, now)
        run.invoices.all().delete()
        issued = _effective_invoices(month)
        charges = _month_charges(month, set(issued))
        for family_id in sorted(set(lines) | set(issued) | set(charges)):
            expected = lines.get(family_id, [])
            extra = charges.get(family_id, [])
            previous = issued.get(family_id)
            if previous is not None and _line_keys(previous) == _expected_keys(expected,
                                                                                extra):
                continue
            if previous is None and not extra and not any(line.unit_price_cents
                                                          for line in expected):
                continue  # days priced at nothing (a free bracket): no invoice to issue
            _draft_invoice(run, family_id, month, previous, expected, extra)
    return run


def _draft_invoice(run, family_id, month, previous, lines, charges=()) -> Invoice:
    invoice = Invoice.objects.create(run=run, family_id=family_id, month=month,
                                     corrects=previous)
    InvoiceCharge.objects.bulk_create([
        InvoiceCharge(invoice=invoice, charge=charge, label=charge.label,
                      amount_cents=charge.amount_cents) for charge in charges])
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, child=line.child, activity=line.activity,
                    unit=line.unit, dates=line.dates, quantity=len(line.dates),
                    unit_price_cents=line.unit_price_cents,
                    amount_cents=len(line.dates) * line.unit_price_cents)
        for line in lines])
    invoice.total_cents = (sum(len(line.dates) * line.unit_price_cents for line in lines)
                           + sum(charge.amount_cents for charge in charges))
    invoice.save(update_fields=["total_cents"])
    return invoice


def _draft_run(month, staff_user, now) -> BillingRun:
    """The month's draft run, locked (two staff preparing at once wait for each other)."""
    for _attempt in range(2):
        run = BillingRun.objects.select_for_update().filter(
            month=month, state=BillingRun.State.DRAFT).first()
        if run is not None:
            run.prepared_at, run.prepared_by = now, staff_user
            run.save(update_fields=["prepared_at", "prepared_by"])
            return run
        try:
            with transaction.atomic():
                return BillingRun.objects.create(month=month, prepared_at=now,
                                                  prepared_by=staff_user)
        except IntegrityError:
            continue  # created meanwhile by someone else: lock theirs
    raise ValidationError(_("Une autre préparation de ce mois est en cours : réessayez."))


def _locked_sequence(kind: str, year: int) -> NumberSequence:
    NumberSequence.objects.bulk_create([NumberSequence(kind=kind, year=year)],
                                       ignore_conflicts=True)
    return NumberSequence.objects.select_for_update().get(kind=kind, year=year)


def next_number(kind: str, year: int) -> int:
    """The next number of a gap-free per-year sequence; the row stays locked until the
    caller's transaction ends, so a rollback gives the number back."""
    sequence = _locked_sequence(kind, year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def draft_counts(invoices) -> tuple[int, int, int]:
    """(invoices, families, total in cents) of a draft: what staff confirm before issuing."""
    invoices = list(invoices)
    return (len(invoices), len({i.family_id for i in invoices}),
            sum(i.total_cents for i in invoices))


def issue_run(run_id, staff_user, now=None, confirmed=None) -> BillingRun:
    """Number, date and send every draft invoice of the run; credit what they correct.
    `confirmed`: the counts staff confirmed (`draft_counts`); if the draft changed since (it
    was prepared again meanwhile), nothing is issued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_id)
        if run.state != BillingRun.State.DRAFT:
            raise ValidationError(_("Cette facturation est déjà émise."))
        invoices = list(run.invoices.select_related("family", "corrects").prefetch_related(
            "family__guardians__user").order_by("family__name", "family_id"))
        if confirmed is not None and tuple(confirmed) != draft_counts(invoices):
            raise ValidationError(_("Le brouillon a changé depuis votre confirmation : "
                                    "vérifiez-le à nouveau avant d'émettre."))
        if CreditNote.objects.filter(
                invoice__in=[i.corrects_id for i in invoices if i.corrects_id]).exists():
            # An invoice it corrects was credited meanwhile (an absence accepted after issue).
            raise ValidationError(_("Une facture que ce brouillon corrige a été annulée "
                                    "depuis : préparez à nouveau le mois avant d'émettre."))
        # Lock the sequences this run uses up front, always in the same order (credit notes,
        # then invoices): two runs issued at once never wait for each other in a circle.
        if any(invoice.corrects_id for invoice in invoices):
            _locked_sequence("credit", today.year)
        if any(invoice.total_cents for invoice in invoices):
            _locked_sequence("invoice", today.year)
        for invoice in invoices:
            _issue_invoice(invoice, now, _("Remplacée par une facture corrigée."))
        run.state = BillingRun.State.ISSUED
        run.issued_at, run.issued_by = now, staff_user
        run.save(update_fields=["state", "issued_at", "issued_by"])
        issued_ids = [str(i.pk) for i in invoices if i.pk and i.state == Invoice.State.ISSUED]
        transaction.on_commit(lambda: _render_pdfs(issued_ids))
    return run


def _issue_invoice(invoice, now, reason) -> CreditNote | None:
    """Number, date and send one draft invoice; credit in full the invoice it corrects (the
    caller holds the sequences' locks, credit notes first)."""
    today = timezone.localdate(now)
    credit_note = None
    if invoice.corrects is not None:
        credit_note = CreditNote.objects.create(
            invoice=invoice.corrects, issued_at=now,
            number=f"AV-{today.year}-{next_number('credit', today.year):06d}",
            amount_cents=invoice.corrects.total_cents, reason=reason)
    if not invoice.total_cents:
        invoice.delete()  # nothing to bill any more: the credit note says it all
        if credit_note is None:
            return None  # nothing billed, nothing credited: nothing to tell
    else:
        invoice.number = f"{today.year}-{next_number('invoice', today.year):06d}"
        invoice.state = Invoice.State.ISSUED
        invoice.issued_at = now
        invoice.due_date = today + timedelta(days=commune().invoice_due_days)
        invoice.save(update_fields=["number", "state", "issued_at", "due_date"])
        if invoice.corrects is not None:
            _carry_payments(invoice.corrects, invoice, now)
    _notify(invoice if invoice.pk else None, credit_note, invoice.family)
    return credit_note


def correct_family_month(family_id, month: date, staff_user, reason: str,
                         now=None) -> CreditNote | None:
    """Bill one family's month again at once, after its invoice was issued (an absence
    accepted late): the issued invoice is credited in full and a corrective invoice, with
    what is billable now, is issued and sent — in the caller's transaction, so that the
    decision, the credit note and the e-mails exist together. Returns the credit note, or
    None when the family's issued invoice still matches (or there is none). A draft of that
    family for the month was computed against the credited invoice: it is dropped, and
    staff prepare the month again (its page lists what is pending)."""
    now = now or timezone.now()
    month = month.replace(day=1)
    with transaction.atomic():
        # The draft run first, as issue_run locks it: the two wait for each other in order.
        draft = BillingRun.objects.select_for_update().filter(
            month=month, state=BillingRun.State.DRAFT).first()
        previous = Invoice.objects.select_for_update(of=("self",)).filter(
            family_id=family_id, month=month, state=Invoice.State.ISSUED,
            credit_notes__isnull=True).order_by("issued_at").last()
        if previous is None:
            return None
        advance_only = _in_progress(month, timezone.localdate(now))
        items = [item for item in billable_items(month, advance_only)
                 if item.family_id == family_id]
        expected = priced_lines(items).get(family_id, [])
        charges = list(FamilyCharge.objects.filter(family_id=family_id, month=month)
                       .order_by("created_at", "pk"))
        if _line_keys(previous) == _expected_keys(expected, charges):
            return None
        if draft is not None:
            draft.invoices.filter(family_id=family_id).delete()
        today = timezone.localdate(now)
        _locked_sequence("credit", today.year)
        _locked_sequence("invoice", today.year)
        run = BillingRun.objects.create(
            month=month, state=BillingRun.State.ISSUED, prepared_at=now,
            prepared_by=staff_user, issued_at=now, issued_by=staff_user)
        invoice = _draft_invoice(run, family_id, month, previous, expected, charges)
        invoice = Invoice.objects.select_related("family", "corrects").get(pk=invoice.pk)
        credit_note = _issue_invoice(invoice, now, reason)
        if invoice.pk and invoice.state == Invoice.State.ISSUED:
            issued_id = str(invoice.pk)
            transaction.on_commit(lambda: _render_pdfs([issued_id]))
    return credit_note


def _carry_payments(cancelled: Invoice, corrective: Invoice, now) -> None:
    """What the family paid on the cancelled invoice pays the corrective one first; any
    excess stays on the cancelled invoice as money to refund (a negative balance)."""
    available = cancelled.paid_cents() - cancelled.carried_out_cents()
    carried = min(available, corrective.total_cents)
    if carried > 0:
        Payment.objects.create(
            invoice=corrective, carried_from=cancelled, method=Payment.Method.CARRIED,
            amount_cents=carried, received_at=now, reference=cancelled.number)


def _notify(invoice, credit_note, family) -> None:
    write_to_family("invoice_issued", family, {
        "invoice": invoice, "credit_note": credit_note, "family": family,
        "ways": payment_methods.available(family),
        "debit": invoice and direct_debit.pre_notification(invoice, family)})


def _render_pdfs(invoice_ids) -> None:
    for invoice_id in invoice_ids:
        try:
            queue_task("facturation.tasks.render_invoice_pdf", invoice_id)
        except Exception:  # a broker outage: the PDF is rendered at the first download
            logger.warning("Invoice PDFs not queued (broker unreachable)", exc_info=True)
            return
