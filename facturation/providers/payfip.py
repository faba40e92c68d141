"""PayFiP, the DGFiP's online payment of public receipts (card or single SEPA debit),
through Entr'ouvert's eopayment (its `payfip_ws` backend: the SOAP web services
creerPaiementSecurise and recupererDetailPaiementSecurise).

Configuration, from the operators' environment: the régie's client number (PAYFIP_NUMCLI,
six digits given by the DGFiP), the mode (PAYFIP_MODE: T test, X activation, W production)
and, behind a proxy that rewrites the host, the public address (PAYFIP_BASE_URL). The
notification PayFiP sends names an operation and nothing more is believed of it: `status`
asks PayFiP for the operation's detail."""

import logging
import re
from decimal import Decimal

import eopayment
from django.conf import settings
from eopayment.payfip_ws import PayFiPError

from ..models import Payment
from .base import WAITING, GatewayError, Links, Outcome, Started, State

logger = logging.getLogger(__name__)

# Seconds to wait for the DGFiP's answer: a parent waits on this request.
TIMEOUT = 8
# eopayment's answers, in the attempt's states.
RESULTS = {eopayment.PAID: State.PAID, eopayment.DENIED: State.REFUSED,
           eopayment.CANCELLED: State.ABANDONED, eopayment.EXPIRED: State.EXPIRED,
           eopayment.WAITING: WAITING}

# How a paid operation was paid: P by card, V by single SEPA debit (« prélèvement unique »).
METHODS = {"P": Payment.Method.CARD, "V": Payment.Method.SINGLE_DEBIT}


def invoice_reference(number: str) -> tuple[str, str]:
    """(refdet, exer) of an invoice number « 2026-000123 »: « 2026000123 » (PayFiP takes
    letters and digits only, 30 at most) and the exercise « 2026 »."""
    refdet = re.sub(r"[^A-Za-z0-9]", "", number)[:30]
    return refdet, number[:4]


class PayFiPProvider:
    name = "payfip"
    label = "PayFiP"
    # An idOp is valid 15 minutes; the beat task asks after this, and eopayment reads an
    # operation still unknown two hours after its start as expired.
    lifetime_seconds = 20 * 60
    minimum_cents = 100  # PayFiP takes from 1 € to 100,000 €

    def is_configured(self) -> bool:
        return bool(settings.PAYFIP_NUMCLI)

    def currency(self) -> str:
        return "eur"

    def _backend(self, links: Links | None = None) -> eopayment.Payment:
        return eopayment.Payment(eopayment.PAYFIP_WS, {
            "numcli": settings.PAYFIP_NUMCLI, "saisie": settings.PAYFIP_MODE,
            "normal_return_url": links.attempt_return if links else "",
            "automatic_return_url": links.notification if links else ""})

    def start(self, attempt, *, description: str, links: Links) -> Started:
        refdet, exer = invoice_reference(attempt.invoice.number)
        try:
            idop, _kind, url = self._backend(links).request(
                Decimal(attempt.amount_cents) / 100, email=attempt.payer_email,
                refdet=refdet, exer=exer, subject=description, timeout=TIMEOUT)
        except (PayFiPError, ValueError) as exc:
            raise GatewayError(f"PayFiP creerPaiementSecurise: {exc}") from exc
        return Started(reference=idop, url=url)

    def status(self, attempt) -> Outcome:
        try:
            response = self._backend().payment_status(
                attempt.provider_reference, transaction_date=attempt.created_at,
                timeout=TIMEOUT)
        except PayFiPError as exc:
            raise GatewayError(f"PayFiP recupererDetailPaiementSecurise: {exc}") from exc
        result = RESULTS.get(response.result)
        if result is None:
            raise GatewayError(f"PayFiP: unknown answer {response.bank_status}")
        data = response.bank_data or {}
        if result != State.PAID:
            return Outcome(result=result, detail=response.bank_status[:255])
        # The detail must be of this operation, for this régie and this invoice.
        refdet, _exer = invoice_reference(attempt.invoice.number)
        if (data.get("idOp"), data.get("numcli"), data.get("refdet")) != (
                attempt.provider_reference, settings.PAYFIP_NUMCLI, refdet):
            raise GatewayError("PayFiP: the detail is not the operation's own")
        try:
            amount = int(data.get("montant"))
        except (TypeError, ValueError) as exc:
            raise GatewayError("PayFiP: no amount in the detail") from exc
        detail = " ".join(filter(None, [f"resultrans={data.get('resultrans')}",
                                        f"numauto={data.get('numauto') or '-'}",
                                        f"saisie={data.get('saisie')}"]))
        return Outcome(result=State.PAID, amount_cents=amount, currency="eur",
                       detail=detail[:255], method=METHODS.get(data.get("resultrans"),
                                                        Payment.Method.CARD))
