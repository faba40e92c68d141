"""Attestations: computed from what the portal records, frozen at issue, numbered gap-free.

Attestation fiscale (frais de garde, art. 200 quater B du CGI), per payer household and
calendar year: for each child under 6 on 1 January of that year, what the household actually
**paid** in that year for childcare (before/after-school care, leisure centres), meals
excluded. How a payment maps to childcare amounts (docs/attestations.md):
- a payment counts in the year it was received (Europe/Paris), whatever month it pays;
- it is split over the lines of the invoice it pays, pro rata of each line's amount; a line
  counts if its activity is childcare (not the canteen) and its child was under 6 on
  1 January; of that line only the part that is not food counts (`food_share_percent`);
- a payment of an invoice later cancelled by a credit note follows the money: the part
  carried to the corrective invoice is split over the corrective invoice's lines, the rest
  is to be refunded and counts for nothing (refunds and credit notes are thus deducted);
- payments flagged for refund, carried payments (not new money) and CESU préfinancés (an
  employer's aid, already exempt) count for nothing.
Shared custody: each household gets its own attestation, for what it paid itself.

Drafts (the January run) can be recomputed; issuing numbers them per kind and year from a
locked `NumberSequence` (no gap, no duplicate) and freezes them. Re-issuing makes a new
version that `replaces` the previous one."""

import datetime
import logging
from collections import defaultdict
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.letters import write_to_family
from familles.models import Child, Family
from ground import french
from ground.task_queue import queue_task
from inscriptions.models import Activity
from reservations.models import Attendance

from ..hours import hours_text, presence_hours
from ..models import Attestation, CreditNote, Invoice, InvoiceLine, Payment
from .billing import next_number

CHILDCARE_KINDS = (Activity.Kind.CARE, Activity.Kind.ALSH_WEDNESDAY, Activity.Kind.ALSH_HOLIDAYS,
                   Activity.Kind.PASSERELLE_WEDNESDAY, Activity.Kind.PASSERELLE_HOLIDAYS)
FISCAL_AGE_LIMIT = 6
# Payments that are no money the household paid itself this year (see the module's doc).
NOT_COUNTED = (Payment.Method.CARRIED, Payment.Method.CESU)
MAX_PRESENCE_DAYS = 366

logger = logging.getLogger(__name__)


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    return start, timezone.make_aware(datetime.datetime(year + 1, 1, 1))


def _rounded(value: Fraction) -> int:
    """Cents, rounded half up."""
    return int(value + Fraction(1, 2))


def _young(child: Child, year: int) -> bool:
    return child.age_on(datetime.date(year, 1, 1)) < FISCAL_AGE_LIMIT


class _Shares:
    """Per invoice, what part of a euro paid on it ends up paying, for each child, childcare
    (`care`) or food (`meals`) of a child under 6 on 1 January: {(child_id, bucket): Fraction}."""

    def __init__(self, year: int):
        self.year = year
        self.cache: dict = {}
        self.children: dict[int, Child] = {}

    def of(self, invoice: Invoice) -> dict:
        if invoice.pk not in self.cache:
            self.cache[invoice.pk] = {}  # a cycle cannot happen, but never loop on one
            self.cache[invoice.pk] = self._compute(invoice)
        return self.cache[invoice.pk]

    def _compute(self, invoice: Invoice) -> dict:
        if invoice.credit_notes.exists():
            received = sum(p.amount_cents for p in invoice.payments.all()
                           if not p.flagged_for_refund)
            shares = defaultdict(Fraction)
            if not received:
                return shares
            for carried in Payment.objects.filter(carried_from=invoice).select_related(
                    "invoice"):
                for key, share in self.of(carried.invoice).items():
                    shares[key] += Fraction(carried.amount_cents, received) * share
            return shares
        shares = defaultdict(Fraction)
        if not invoice.total_cents:
            return shares
        lines = InvoiceLine.objects.filter(invoice=invoice).select_related(
            "child", "activity", "unit__activity")
        for line in lines:
            if not _young(line.child, self.year):
                continue
            self.children[line.child_id] = line.child
            food = Fraction(line.unit.food_share_percent(), 100)
            part = Fraction(line.amount_cents, invoice.total_cents)
            if line.activity.kind in CHILDCARE_KINDS:
                shares[(line.child_id, "care")] += part * (1 - food)
            shares[(line.child_id, "meals")] += part * food
        return shares


def _counted_payments(family, year: int):
    start, end = _year_bounds(year)
    return (Payment.objects.filter(invoice__family=family, invoice__state=Invoice.State.ISSUED,
                                   received_at__gte=start, received_at__lt=end,
                                   flagged_for_refund=False)
            .select_related("invoice").order_by("received_at", "pk"))


def fiscal_figures(family: Family, year: int) -> dict:
    """What an attestation fiscale of the household for that year says, or a ValidationError
    in words a parent understands (no child under 6, nothing paid, only unpaid invoices)."""
    young = [c for c in Child.objects.for_family(family) if _young(c, year)]
    if not young:
        raise ValidationError(_(
            "Aucun enfant de votre foyer n'avait moins de 6 ans au 1er janvier %(year)s : "
            "l'attestation fiscale de frais de garde ne concerne que les enfants de moins de "
            "6 ans.") % {"year": year})
    payments = list(_counted_payments(family, year))
    if not payments:
        raise ValidationError(_(
            "Aucun paiement reçu en %(year)s : il n'y a pas d'attestation fiscale à établir "
            "pour cette année.") % {"year": year})
    shares = _Shares(year)
    sums = defaultdict(Fraction)
    paid = cesu = 0
    rows = []
    for payment in payments:
        if payment.method == Payment.Method.CARRIED:
            continue
        paid += payment.amount_cents
        rows.append({"date": timezone.localdate(payment.received_at).isoformat(),
                     "invoice": payment.invoice.number, "method": payment.get_method_display(),
                     "amount_cents": payment.amount_cents})
        if payment.method in NOT_COUNTED:
            cesu += payment.amount_cents
            continue
        for key, share in shares.of(payment.invoice).items():
            sums[key] += payment.amount_cents * share
    children = []
    for child_id, child in sorted(shares.children.items(),
                                  key=lambda item: (item[1].birth_date, item[0])):
        care = _rounded(sums[(child_id, "care")])
        if care:
            children.append({"id": child_id, "name": f"{child.first_name} {child.last_name}",
                             "birth_date": child.birth_date.isoformat(), "amount_cents": care,
                             "meals_cents": _rounded(sums[(child_id, "meals")])})
    total = sum(c["amount_cents"] for c in children)
    if not total:
        unpaid = _unpaid_childcare_invoice(family, year)
        if unpaid is not None:
            raise ValidationError(_(
                "La facture %(number)s n'est pas encore payée : l'attestation fiscale ne "
                "compte que les frais de garde effectivement payés en %(year)s.") % {
                    "number": unpaid, "year": year})
        raise ValidationError(_(
            "Les paiements reçus en %(year)s ne portent sur aucun frais de garde d'un enfant "
            "de moins de 6 ans (les repas ne comptent pas) : pas d'attestation fiscale à "
            "établir.") % {"year": year})
    return {"children": children, "total_cents": total, "paid_cents": paid,
            "cesu_cents": cesu, "payments": rows}


def _unpaid_childcare_invoice(family, year: int) -> str | None:
    invoices = Invoice.objects.filter(
        family=family, state=Invoice.State.ISSUED, credit_notes__isnull=True,
        lines__activity__kind__in=CHILDCARE_KINDS, month__year__lte=year,
    ).with_balances().filter(balance__gt=0).order_by("month").distinct()
    young = {c.pk for c in Child.objects.for_family(family) if _young(c, year)}
    for invoice in invoices:
        if any(line.child_id in young for line in invoice.lines.all()):
            return invoice.number
    return None


def payments_figures(family: Family, year: int) -> dict:
    """The household's invoices issued, credit notes issued and payments received in the
    year (Europe/Paris)."""
    start, end = _year_bounds(year)
    invoices = list(Invoice.objects.filter(
        family=family, state=Invoice.State.ISSUED, issued_at__gte=start, issued_at__lt=end,
    ).with_balances().order_by("issued_at", "number"))
    notes = list(CreditNote.objects.filter(invoice__family=family, issued_at__gte=start,
                                           issued_at__lt=end).select_related("invoice")
                 .order_by("issued_at", "number"))
    payments = list(Payment.objects.filter(
        invoice__family=family, received_at__gte=start, received_at__lt=end,
    ).select_related("invoice").order_by("received_at", "pk"))
    if not (invoices or notes or payments):
        raise ValidationError(_(
            "Aucune facture ni aucun paiement en %(year)s : il n'y a pas de relevé à établir "
            "pour cette année.") % {"year": year})
    received = [p for p in payments
                if not p.flagged_for_refund and p.method != Payment.Method.CARRIED]
    return {
        "invoices": [{"number": i.number, "month": i.month.isoformat(),
                      "issued": timezone.localdate(i.issued_at).isoformat(),
                      "total_cents": i.total_cents, "balance_cents": i.balance}
                     for i in invoices],
        "credit_notes": [{"number": n.number, "invoice": n.invoice.number,
                          "issued": timezone.localdate(n.issued_at).isoformat(),
                          "amount_cents": n.amount_cents} for n in notes],
        "payments": [{"date": timezone.localdate(p.received_at).isoformat(),
                      "invoice": p.invoice.number, "method": p.get_method_display(),
                      "amount_cents": p.amount_cents, "to_refund": p.flagged_for_refund,
                      "carried": p.method == Payment.Method.CARRIED} for p in payments],
        "invoiced_cents": sum(i.total_cents for i in invoices),
        "credited_cents": sum(n.amount_cents for n in notes),
        "total_cents": sum(p.amount_cents for p in received),
    }


def presence_figures(child: Child, first: datetime.date, last: datetime.date) -> dict:
    """Days and hours the child attended each activity between two days (registers)."""
    presences = Attendance.objects.filter(
        child=child, date__range=(first, last), status=Attendance.Status.PRESENT,
    ).select_related("activity", "unit").order_by("activity__name", "date")
    per_activity: dict[str, dict] = {}
    for presence in presences:
        row = per_activity.setdefault(presence.activity.name, {
            "activity": presence.activity.name, "dates": set(), "hours": 0})
        row["dates"].add(presence.date.isoformat())
        row["hours"] += presence_hours(presence.activity.kind, presence.unit.duration_hours,
                                       presence.arrived_at, presence.left_at)
    if not per_activity:
        raise ValidationError(_(
            "Aucune présence %(of_child)s n'est pointée du %(first)s au %(last)s : il n'y a "
            "rien à attester sur cette période.") % {
                "of_child": french.de(child.first_name),
                "first": french.format_day(first, "j F Y"),
                "last": french.format_day(last, "j F Y")})
    activities = [{"activity": row["activity"], "dates": sorted(row["dates"]),
                   "days": len(row["dates"]), "hours": str(row["hours"]),
                   "hours_text": hours_text(row["hours"])}
                  for row in per_activity.values()]
    total = sum((row["hours"] for row in per_activity.values()), 0)
    return {"child": f"{child.first_name} {child.last_name}", "sex": child.sex,
            "birth_date": child.birth_date.isoformat(), "activities": activities,
            "days": len({d for row in activities for d in row["dates"]}),
            "hours": str(total), "hours_text": hours_text(total)}


def check_period(first, last, today: datetime.date) -> None:
    if first is None or last is None:
        raise ValidationError(_("Indiquez le premier et le dernier jour de la période."))
    if last < first:
        raise ValidationError(_("Le dernier jour doit être après le premier."))
    if first > today:
        raise ValidationError(_("La période ne peut pas commencer dans le futur."))
    if (last - first).days >= MAX_PRESENCE_DAYS:
        raise ValidationError(_("Choisissez une période d'un an au plus."))


def check_past_year(year, today: datetime.date) -> None:
    if year is None or not 2000 <= year < today.year:
        raise ValidationError(_("Choisissez une année civile terminée (avant %(year)s).")
                              % {"year": today.year})


# --- Making and issuing ---------------------------------------------------------------------

def _figures(kind, family, *, year=None, child=None, first=None, last=None) -> dict:
    if kind == Attestation.Kind.FISCAL:
        return fiscal_figures(family, year)
    if kind == Attestation.Kind.PAYMENTS:
        return payments_figures(family, year)
    return presence_figures(child, first, last)


def _number(kind: str, today: datetime.date) -> str:
    prefix, sequence = Attestation.NUMBERING[kind]
    return f"{prefix}-{today.year}-{next_number(sequence, today.year):06d}"


def _issue(attestation: Attestation, user, now) -> Attestation:
    attestation.number = _number(attestation.kind, timezone.localdate(now))
    attestation.state = Attestation.State.ISSUED
    attestation.issued_at, attestation.issued_by = now, user
    attestation.save()
    transaction.on_commit(lambda: _render_pdf(attestation.pk))
    return attestation


def _notify(attestation: Attestation) -> None:
    family = Family.objects.prefetch_related("guardians__user").get(pk=attestation.family_id)
    write_to_family("attestation_issued", family, {
        "attestation": attestation, "family": family,
        "replaces": attestation.replaces.number if attestation.replaces_id else ""})


def current_fiscal(family, year: int) -> Attestation | None:
    """The household's issued attestation fiscale of that year not yet replaced."""
    return Attestation.objects.filter(
        family=family, kind=Attestation.Kind.FISCAL, year=year, state=Attestation.State.ISSUED,
        replaced_by__isnull=True).first()


def request_attestation(family: Family, kind: str, *, user, year=None, child_id=None,
                        first=None, last=None, now=None, notify=False) -> Attestation:
    """An attestation issued at once, for a parent (his own household) or for staff
    (`notify`: e-mailed to the family). A child is looked up through the household: another
    family's child is refused. An attestation fiscale already issued for the year is given
    back rather than made twice; one still waiting for the service's review is not issued
    behind its back."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    child = None
    if kind == Attestation.Kind.PRESENCE:
        child = Child.objects.for_family(family).filter(pk=child_id).first()
        if child is None:
            raise ValidationError(_("Choisissez un de vos enfants."))
        check_period(first, last, today)
        last = min(last, today)
        year = None
    elif kind in (Attestation.Kind.FISCAL, Attestation.Kind.PAYMENTS):
        check_past_year(year, today)
    else:
        raise ValidationError(_("Type d'attestation inconnu."))
    if kind == Attestation.Kind.FISCAL:
        existing = current_fiscal(family, year)
        if existing is not None:
            return existing
        if Attestation.objects.filter(family=family, kind=kind, year=year,
                                      state=Attestation.State.DRAFT).exists():
            raise ValidationError(_(
                "Votre attestation fiscale %(year)s est en cours de vérification par le "
                "service : vous la recevrez par e-mail dès qu'elle sera émise.") % {"year": year})
    data = _figures(kind, family, year=year, child=child, first=first, last=last)
    with transaction.atomic():
        attestation = Attestation(
            kind=kind, family=family, child=child, year=year, period_start=first if child
            else None, period_end=last if child else None, data=data,
            total_cents=data.get("total_cents", 0), created_at=now, created_by=user)
        _issue(attestation, user, now)
        if notify:
            _notify(attestation)
    return attestation


def prepare_fiscal_drafts(year: int, staff_user=None, now=None) -> int:
    """The January run: a draft attestation fiscale for every household that paid something
    in the year and has something to attest, for staff to check. Drafts are recomputed;
    households whose attestation of the year is already issued are left alone. Returns how
    many drafts exist for the year. Safe to run twice, also at once."""
    now = now or timezone.now()
    start, end = _year_bounds(year)
    family_ids = set(Payment.objects.filter(
        received_at__gte=start, received_at__lt=end, flagged_for_refund=False,
        invoice__state=Invoice.State.ISSUED).values_list("invoice__family_id", flat=True))
    issued = set(Attestation.objects.filter(
        kind=Attestation.Kind.FISCAL, year=year, state=Attestation.State.ISSUED,
    ).values_list("family_id", flat=True))
    for family in Family.objects.filter(pk__in=family_ids - issued).order_by("pk"):
        try:
            data = fiscal_figures(family, year)
        except ValidationError:
            continue  # no child under 6, or nothing paid for childcare: nothing to attest
        _save_draft(family, year, data, staff_user, now)
    return Attestation.objects.filter(kind=Attestation.Kind.FISCAL, year=year,
                                      state=Attestation.State.DRAFT).count()


def _save_draft(family, year, data, staff_user, now) -> None:
    values = {"data": data, "total_cents": data["total_cents"], "created_at": now,
              "created_by": staff_user}
    with transaction.atomic():
        updated = Attestation.objects.filter(
            kind=Attestation.Kind.FISCAL, family=family, year=year,
            state=Attestation.State.DRAFT).update(**values)
        if not updated:
            try:
                with transaction.atomic():
                    Attestation.objects.create(kind=Attestation.Kind.FISCAL, family=family,
                                               year=year, **values)
            except IntegrityError:
                pass  # drafted at the same moment by another run: same figures


def publish(attestation_ids, staff_user, now=None) -> int:
    """Issue draft attestations (number, date) and e-mail each family. Returns how many
    were issued; attestations already issued are skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        drafts = list(Attestation.objects.select_for_update().filter(
            pk__in=list(attestation_ids), state=Attestation.State.DRAFT).order_by(
            "family__name", "pk"))
        for attestation in drafts:
            _issue(attestation, staff_user, now)
            _notify(attestation)
    return len(drafts)


def reissue(attestation_id, staff_user, now=None) -> Attestation:
    """A new version of an issued attestation, computed again from today's records; it
    replaces the previous one (which stays, marked replaced). E-mailed to the family."""
    now = now or timezone.now()
    with transaction.atomic():
        old = Attestation.objects.select_for_update().filter(pk=attestation_id).first()
        if old is None or old.state != Attestation.State.ISSUED:
            raise ValidationError(_("Seule une attestation émise peut être émise à nouveau."))
        if Attestation.objects.filter(replaces=old).exists():
            raise ValidationError(_("L'attestation %(number)s a déjà été remplacée : "
                                    "partez de sa dernière version.") % {"number": old.number})
        data = _figures(old.kind, old.family, year=old.year, child=old.child,
                        first=old.period_start, last=old.period_end)
        new = Attestation(kind=old.kind, family=old.family, child=old.child, year=old.year,
                          period_start=old.period_start, period_end=old.period_end, data=data,
                          total_cents=data.get("total_cents", 0), replaces=old, created_at=now,
                          created_by=staff_user)
        _issue(new, staff_user, now)
        _notify(new)
    return new


def _render_pdf(attestation_id) -> None:
    try:
        queue_task("facturation.tasks.render_attestation_pdf", str(attestation_id))
    except Exception:  # a broker outage: the PDF is rendered at the first download
        logger.warning("Attestation PDF %s not queued (broker unreachable)", attestation_id)
