"""Online payment, whatever the provider: one state machine per attempt (docs/paiements.md).

    created ──start──▶ pending ──▶ paid | refused | abandoned | expired

- `start_attempt` writes the attempt (created), opens the operation at the provider, then
  marks it pending with the provider's reference. If the provider cannot be reached the
  attempt is deleted: nothing is recorded and the parent may try again at once.
- `refresh` asks the provider where an operation stands (a notification or a return is
  never believed as such) and `settle` records the answer, under the invoice's row lock
  then the attempt's: idempotent (a final state answers "duplicate"), and money a provider
  confirms is always recorded — on an invoice that cannot take it (not issued, cancelled,
  already paid, another amount or currency) as a payment flagged for refund, with the
  service and the family told. A late « paid » after refused/abandoned/expired is recorded
  too (the provider took the money).
- `expire_stale_attempts` (beat) asks about attempts left open, and expires them."""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.letters import write_to_family
from ground.commune import commune
from ground.outbox import queue_email

from .. import direct_debit, providers, queries
from ..models import Invoice, Payment, PaymentAttempt, euros
from ..payment_methods import counter_ways, not_configured_message, online_payment_available

logger = logging.getLogger(__name__)

State = PaymentAttempt.State
# An attempt its provider still calls « waiting » a day after its start will not be paid.
WAITING_AT_MOST = timedelta(days=1)


def unavailable_message() -> str:
    ways = counter_ways()
    if ways:
        return _("Le paiement en ligne est momentanément indisponible. Réessayez dans quelques "
                 "minutes, ou payez par %(ways)s auprès du service.") % {"ways": ways}
    return _("Le paiement en ligne est momentanément indisponible. Réessayez dans quelques "
             "minutes.")


def description_of(invoice: Invoice) -> str:
    town = commune()
    return _("Facture %(number)s – %(service)s, %(commune)s") % {
        "number": invoice.number, "service": town.service_name, "commune": town.name}


def start_attempt(family, invoice_id, *, links_for: Callable[[PaymentAttempt], providers.Links],
                  payer_email: str = "") -> str:
    """The address where the parent pays what the family still owes on the invoice, at the
    active provider. Another family's invoice or a draft: Invoice.DoesNotExist."""
    invoice = queries.family_invoice(family, invoice_id, timezone.localdate())
    provider = providers.active()
    if provider is None or not online_payment_available():
        raise ValidationError(not_configured_message())
    if direct_debit.blocks_online_payment(invoice):
        raise ValidationError(_("La facture %(number)s est prélevée sur votre compte : elle ne "
                                "se paie pas en ligne.") % {"number": invoice.number})
    balance = invoice.balance
    if balance <= 0:
        raise ValidationError(_("La facture %(number)s est déjà réglée : rien à payer.")
                              % {"number": invoice.number})
    if balance < provider.minimum_cents:
        raise ValidationError(_(
            "Le paiement en ligne n'accepte pas moins de %(minimum)s : payez ces %(amount)s "
            "auprès du service.") % {"minimum": euros(provider.minimum_cents),
                                      "amount": euros(balance)})
    attempt = PaymentAttempt.objects.create(
        invoice=invoice, provider=provider.name, amount_cents=balance,
        currency=provider.currency(), payer_email=payer_email)
    try:
        started = provider.start(attempt, description=description_of(invoice),
                                 links=links_for(attempt))
    except providers.GatewayError:
        logger.warning("%s: no operation opened for invoice %s", provider.name, invoice.pk,
                       exc_info=True)
        attempt.delete()  # never reached the provider: nothing to keep
        raise ValidationError(unavailable_message()) from None
    PaymentAttempt.objects.filter(pk=attempt.pk, state=State.CREATED).update(
        state=State.PENDING, provider_reference=started.reference[:255],
        updated_at=timezone.now())
    return started.url


def family_attempt(family, attempt_id) -> PaymentAttempt:
    """One of the family's attempts (PaymentAttempt.DoesNotExist otherwise)."""
    return PaymentAttempt.objects.select_related("invoice").get(
        pk=attempt_id, invoice__family=family)


def refresh(attempt: PaymentAttempt) -> str:
    """Ask the attempt's provider where it stands and record the answer; what happened,
    for the logs. Raises providers.GatewayError when the provider cannot say."""
    if attempt.state == State.PAID:
        return "duplicate"
    outcome = providers.get(attempt.provider).status(attempt)
    return settle(attempt.pk, outcome)


def settle(attempt_id, outcome: providers.Outcome, *, stripe_intent: str = "") -> str:
    """Record what the provider says of an attempt, once (see the module's docstring)."""
    invoice_id = PaymentAttempt.objects.values_list("invoice_id", flat=True).get(pk=attempt_id)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        return settle_locked(invoice, attempt, outcome, stripe_intent=stripe_intent)


def settle_locked(invoice: Invoice, attempt: PaymentAttempt, outcome: providers.Outcome, *,
                  stripe_intent: str = "") -> str:
    """`settle`, with the invoice and the attempt already locked by the caller."""
    if attempt.state == State.PAID:
        return "duplicate"
    if outcome.result == providers.WAITING:
        return "waiting"
    if outcome.result != State.PAID:
        if not attempt.is_open:
            return "duplicate"
        attempt.state, attempt.detail = outcome.result, outcome.detail[:255]
        attempt.save(update_fields=["state", "detail", "updated_at"])
        return attempt.state
    return _record_paid(invoice, attempt, outcome, stripe_intent)


def _refund_reason(invoice: Invoice, attempt: PaymentAttempt, amount: int, currency: str,
                   balance: int) -> str:
    if currency != attempt.currency:
        return _("devise différente de la facture (%(currency)s)") % {
            "currency": currency.upper() or "?"}
    if invoice.state != Invoice.State.ISSUED:
        return _("la facture est encore un brouillon, pas encore due")
    if invoice.credit_notes.exists():
        return _("facture annulée par un avoir")
    if balance <= 0 or invoice.attempts.filter(state=State.PAID, refund_reason="").exists():
        return _("facture déjà payée")
    if amount != balance or amount != attempt.amount_cents:
        return _("montant différent de la facture")
    return ""


def _record_paid(invoice, attempt, outcome, stripe_intent) -> str:
    amount = outcome.amount_cents or 0
    currency = (outcome.currency or "").lower()
    if amount <= 0:
        logger.error("%s attempt %s: paid without an amount, not recorded", attempt.provider,
                     attempt.pk)
        return "malformed"
    balance = invoice.balance_cents()
    reason = _refund_reason(invoice, attempt, amount, currency, balance)
    is_stripe = attempt.provider == PaymentAttempt.Provider.STRIPE
    payment = Payment.objects.create(
        invoice=invoice, method=outcome.method, amount_cents=amount,
        received_at=timezone.now(), reference=attempt.provider_reference[:100],
        stripe_session_id=attempt.provider_reference if is_stripe else None,
        stripe_payment_intent=stripe_intent, flagged_for_refund=bool(reason),
        flag_reason=reason)
    attempt.state, attempt.payment, attempt.refund_reason = State.PAID, payment, reason
    attempt.detail = outcome.detail[:255]
    attempt.save(update_fields=["state", "payment", "refund_reason", "detail", "updated_at"])
    if not reason:
        send_receipt(invoice, payment, balance - amount)
        return "paid"
    logger.warning("%s payment %s on invoice %s flagged for refund: %s", attempt.provider,
                   attempt.provider_reference, invoice.number, reason)
    shown_amount = euros(amount) if currency == attempt.currency else _(
        "%(amount)s centimes (%(currency)s)") % {"amount": amount,
                                                 "currency": currency.upper() or "?"}
    context = {"invoice": invoice, "payment": payment, "amount": shown_amount,
               "reason": reason, "balance": euros(balance),
               "provider": attempt.provider, "provider_label": attempt.get_provider_display(),
               "operation": attempt.provider_reference,
               "session_id": attempt.provider_reference if is_stripe else "",
               "payment_intent": stripe_intent}
    queue_email("payment_flagged", commune().service_email, context)
    write_to_family("payment_to_refund", invoice.family, context)
    return "flagged"


def send_receipt(invoice: Invoice, payment: Payment, remaining_cents: int) -> None:
    """The receipt e-mailed to the family for any payment (counter or online)."""
    write_to_family("payment_received", invoice.family, {
        "invoice": invoice, "payment": payment, "amount": euros(payment.amount_cents),
        "remaining": euros(remaining_cents), "fully_paid": remaining_cents <= 0,
    })


def expire_stale_attempts(now=None) -> dict[str, int]:
    """Beat: each attempt open longer than its provider's lifetime is asked of the provider
    (a notification may have been lost) and settled; one never sent to the provider, or
    still « waiting » a day on, expires. Safe to run twice."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for name, provider in providers.PROVIDERS.items():
        stale = PaymentAttempt.objects.filter(
            provider=name, state__in=[State.CREATED, State.PENDING],
            created_at__lt=now - timedelta(seconds=provider.lifetime_seconds))
        for attempt in stale.select_related("invoice").order_by("created_at"):
            what = _expire_one(attempt, now)
            counts[what] = counts.get(what, 0) + 1
    return counts


def _expire_one(attempt: PaymentAttempt, now) -> str:
    expired = providers.Outcome(result=State.EXPIRED, detail="expired by the portal")
    if attempt.state == State.CREATED:
        return settle(attempt.pk, expired)
    try:
        what = refresh(attempt)
    except providers.GatewayError:
        logger.warning("%s attempt %s: provider unreachable, asked again later",
                       attempt.provider, attempt.pk, exc_info=True)
        return "unreachable"
    if what == "waiting" and now - attempt.created_at > WAITING_AT_MOST:
        return settle(attempt.pk, expired)
    return what
