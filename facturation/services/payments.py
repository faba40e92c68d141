"""Payments: recorded by staff (cash, cheque, CESU, transfer) or made online with Stripe
Checkout and confirmed by Stripe's signed webhook.

What a family owes is derived (`Invoice.balance_cents`), so every payment locks its invoice
row before reading the balance: two payments at once cannot both pass the check. Online, only
the webhook records a payment, once per Stripe event and once per Checkout session; a payment
that does not match what is owed (already paid, another amount, another currency) is still
recorded, flagged for refund, and the service is told: money is never lost."""

import logging
import uuid
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.letters import write_to_family
from ground.commune import commune
from ground.outbox import queue_email

from .. import direct_debit, queries, stripe_gateway
from ..models import Invoice, Payment, StripeEvent, UnmatchedPayment, euros
from ..payment_methods import (  # noqa: F401 (named here by callers)
    counter_ways,
    not_configured_message,
    online_payment_available,
)

logger = logging.getLogger(__name__)

# What staff record at the desk or from a bank statement (card payments come from Stripe).
COUNTER_METHODS = (Payment.Method.CASH, Payment.Method.CHEQUE, Payment.Method.CESU,
                   Payment.Method.TRANSFER)
# Checkout events that carry a payment (the second one for delayed payment methods).
CHECKOUT_PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def _locked_invoice(invoice_id) -> Invoice | None:
    """The invoice row, locked until the end of the caller's transaction."""
    return Invoice.objects.select_for_update().filter(pk=invoice_id).first()


def _as_moment(received_at) -> datetime:
    if isinstance(received_at, datetime):
        return received_at if timezone.is_aware(received_at) else timezone.make_aware(received_at)
    if isinstance(received_at, date):
        return timezone.make_aware(datetime.combine(received_at, time()))
    raise ValidationError(_("Indiquez la date de réception du paiement."))


# --- Payments recorded by staff ----------------------------------------------------------

def record_payment(invoice_id, *, method, amount_cents, received_at, reference="",
                   staff_user) -> Payment:
    """A payment received by the service (cash, cheque, CESU, transfer), e-mailed to the
    family as a receipt. It may not exceed what is still owed on the invoice."""
    if method not in COUNTER_METHODS:
        raise ValidationError(_("Choisissez le mode de paiement : espèces, chèque, CESU ou "
                                "virement."))
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationError(_("Le montant doit être supérieur à zéro."))
    moment = _as_moment(received_at)
    if timezone.localdate(moment) > timezone.localdate():
        raise ValidationError(_("La date de réception ne peut pas être dans le futur."))
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        if invoice is None:
            raise ValidationError(_("Cette facture n'existe pas."))
        if invoice.state != Invoice.State.ISSUED:
            raise ValidationError(_("Seule une facture émise peut être réglée."))
        balance = invoice.balance_cents()
        if balance <= 0:
            raise ValidationError(_("La facture %(number)s est déjà réglée : rien à "
                                    "encaisser.") % {"number": invoice.number})
        if amount_cents > balance:
            raise ValidationError(_(
                "Le montant saisi (%(amount)s) dépasse le reste à payer de la facture "
                "%(number)s (%(balance)s). Encaissez au plus le reste à payer.") % {
                    "amount": euros(amount_cents), "number": invoice.number,
                    "balance": euros(balance)})
        payment = Payment.objects.create(
            invoice=invoice, method=method, amount_cents=amount_cents, received_at=moment,
            reference=reference.strip(), recorded_by=staff_user)
        _send_receipt(invoice, payment, balance - amount_cents)
    return payment


def _send_receipt(invoice: Invoice, payment: Payment, remaining_cents: int) -> None:
    write_to_family("payment_received", invoice.family, {
        "invoice": invoice, "payment": payment, "amount": euros(payment.amount_cents),
        "remaining": euros(remaining_cents), "fully_paid": remaining_cents <= 0,
    })


# --- Online payment: Stripe Checkout -----------------------------------------------------

def start_checkout(family, invoice_id, success_url: str, cancel_url: str,
                   customer_email: str = "") -> str:
    """The address of a Stripe Checkout page that pays what the family still owes on the
    invoice. Writes nothing: only Stripe's webhook records a payment."""
    # Another family's invoice, or a draft: Invoice.DoesNotExist.
    invoice = queries.family_invoice(family, invoice_id, timezone.localdate())
    if not online_payment_available():
        raise ValidationError(not_configured_message())
    if direct_debit.blocks_online_payment(invoice):
        raise ValidationError(_("La facture %(number)s est prélevée sur votre compte : elle ne "
                                "se paie pas en ligne.") % {"number": invoice.number})
    balance = invoice.balance
    if balance <= 0:
        raise ValidationError(_("La facture %(number)s est déjà réglée : rien à payer.")
                              % {"number": invoice.number})
    town = commune()
    try:
        session = stripe_gateway.create_checkout_session(
            invoice_id=str(invoice.pk),
            description=_("Facture %(number)s – %(service)s, %(commune)s") % {
                "number": invoice.number, "service": town.service_name, "commune": town.name},
            amount_cents=balance, success_url=success_url, cancel_url=cancel_url,
            customer_email=customer_email)
    except stripe_gateway.GatewayError:
        logger.warning("Stripe Checkout session not created for invoice %s", invoice.pk,
                       exc_info=True)
        raise ValidationError(_(
            "Le paiement en ligne est momentanément indisponible. Réessayez dans quelques "
            "minutes, ou payez par chèque, espèces, CESU ou virement auprès du service."
        )) from None
    return session.url


class MalformedEvent(ValueError):
    """A verified event that does not look like the paid Checkout session it claims to be:
    refused as a whole (400), nothing recorded."""


# What `Payment.amount_cents` (a PositiveIntegerField) can hold.
_MAX_AMOUNT = 2**31 - 1


def _checked_session(event: dict) -> dict:
    """The Checkout session of a paid event, each field the right type, or MalformedEvent.
    Stripe always sends them so: anything else is not Stripe's, or not a payment of ours."""
    data = event.get("data")
    session = data.get("object") if isinstance(data, dict) else None
    if not isinstance(session, dict):
        raise MalformedEvent("no Checkout session in the event")
    amount = session.get("amount_total")
    if isinstance(amount, bool) or not isinstance(amount, int) or not (
            0 <= amount <= _MAX_AMOUNT):
        raise MalformedEvent(f"amount_total is not a whole number of cents: {amount!r:.40}")
    for key in ("id", "currency"):
        if not isinstance(session.get(key), str) or not session[key]:
            raise MalformedEvent(f"{key} missing or not a string")
    metadata = session.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise MalformedEvent("metadata is not an object")
    reference = (metadata or {}).get("invoice_id") or session.get("client_reference_id")
    if not isinstance(reference, str) or not reference:
        raise MalformedEvent("no invoice reference (metadata.invoice_id, client_reference_id)")
    intent = session.get("payment_intent")
    if intent is not None and not isinstance(intent, str | dict):
        raise MalformedEvent("payment_intent is neither an id nor an object")
    return session


def handle_stripe_event(event: dict) -> str:
    """Apply one verified Stripe event, exactly once however often it is delivered.
    Returns what happened ("duplicate", "ignored", "paid", "flagged"…), for the logs;
    raises MalformedEvent, before recording anything, for a paid event of an odd shape."""
    event_id = event.get("id") or ""
    event_type = event.get("type") or ""
    if event_type in CHECKOUT_PAID_EVENTS:
        _checked_session(event)
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event_id, type=event_type[:100])
        except IntegrityError:
            return "duplicate"  # delivered again: already applied (or being applied)
        if event_type not in CHECKOUT_PAID_EVENTS:
            return "ignored"
        return _apply_checkout_session((event.get("data") or {}).get("object") or {})


def _raw_amount(amount, currency) -> str:
    return _("%(amount)s centimes (%(currency)s)") % {"amount": amount,
                                                      "currency": currency.upper() or "?"}


def _invoice_id_of(session: dict):
    raw = (session.get("metadata") or {}).get("invoice_id") or session.get(
        "client_reference_id")
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def _apply_checkout_session(session: dict) -> str:
    if session.get("payment_status") != "paid":
        return "unpaid"  # a delayed payment method: async_payment_succeeded will follow
    session_id = session.get("id") or ""
    amount = session.get("amount_total") or 0
    currency = (session.get("currency") or "").lower()
    intent = session.get("payment_intent") or ""
    if isinstance(intent, dict):
        intent = intent.get("id", "")
    invoice_id = _invoice_id_of(session)
    invoice = _locked_invoice(invoice_id) if invoice_id else None
    if invoice is None or amount <= 0 or not session_id:
        return _keep_unmatched(session, invoice=None, amount=amount, currency=currency,
                               intent=intent, reason=_(
                                   "aucune facture du portail ne correspond à ce paiement"))
    if invoice.state != Invoice.State.ISSUED:
        # Not owed yet, and replaced if staff prepare the month again: nothing may hold on
        # to it, so the money is kept aside, to refund.
        return _keep_unmatched(session, invoice=invoice, amount=amount, currency=currency,
                               intent=intent,
                               reason=_("la facture est encore un brouillon, pas encore due"))
    if Payment.objects.filter(stripe_session_id=session_id).exists():
        return "duplicate"  # another event of the same session already recorded it
    balance = invoice.balance_cents()
    if currency != stripe_gateway.currency():
        reason = _("devise différente de la facture (%(currency)s)") % {
            "currency": currency.upper() or "?"}
    elif invoice.credit_notes.exists():
        reason = _("facture annulée par un avoir")
    elif balance <= 0:
        reason = _("facture déjà payée")
    elif amount != balance:
        reason = _("montant différent de la facture")
    else:
        reason = ""
    payment = Payment.objects.create(
        invoice=invoice, method=Payment.Method.CARD, amount_cents=amount,
        received_at=timezone.now(), reference=session_id[:100], stripe_session_id=session_id,
        stripe_payment_intent=intent, flagged_for_refund=bool(reason), flag_reason=reason)
    if not reason:
        _send_receipt(invoice, payment, balance - amount)
        return "paid"
    logger.warning("Stripe payment %s on invoice %s flagged for refund: %s", session_id,
                   invoice.number, reason)
    shown_amount = (euros(amount) if currency == stripe_gateway.currency()
                    else _raw_amount(amount, currency))
    context = {"invoice": invoice, "payment": payment, "session_id": session_id,
               "payment_intent": intent, "amount": shown_amount, "reason": reason,
               "balance": euros(balance)}
    queue_email("payment_flagged", commune().service_email, context)
    write_to_family("payment_to_refund", invoice.family, context)
    return "flagged"


def _keep_unmatched(session: dict, *, invoice, amount, currency, intent, reason) -> str:
    """A paid session no invoice can take: kept once per session (`UnmatchedPayment`, in the
    admin until refunded), logged, and the service told once."""
    session_id = session.get("id") or ""
    reference = str((session.get("metadata") or {}).get("invoice_id")
                    or session.get("client_reference_id") or "")[:255]
    logger.error("Stripe session %s paid %s %s, not applied to invoice %s: %s", session_id,
                 amount, currency, reference or "?", reason)
    if session_id:
        _row, created = UnmatchedPayment.objects.get_or_create(
            stripe_session_id=session_id, defaults={
                "stripe_payment_intent": intent, "amount_cents": max(amount, 0),
                "currency": currency, "invoice": invoice, "invoice_reference": reference,
                "reason": reason})
        if not created:
            return "duplicate"  # another event of the same session: already kept and told
    queue_email("payment_flagged", commune().service_email, {
        "invoice": None, "session_id": session_id, "payment_intent": intent,
        "amount": _raw_amount(amount, currency), "reason": reason, "reference": reference})
    return "unknown invoice" if invoice is None else "kept for refund"
