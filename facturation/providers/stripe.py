"""Stripe Checkout as one provider (facturation/stripe_gateway talks to Stripe). Stripe
says an operation is paid through its signed webhook (services.payments), which settles
the attempt through services.online like every provider."""

from datetime import timedelta

from django.utils import timezone

from .. import stripe_gateway
from .base import WAITING, GatewayError, Links, Outcome, Started, State


class StripeProvider:
    name = "stripe"
    label = "Stripe"
    lifetime_seconds = int((stripe_gateway.SESSION_LIFETIME + timedelta(minutes=10))
                           .total_seconds())
    minimum_cents = 1

    def is_configured(self) -> bool:
        return stripe_gateway.is_configured()

    def currency(self) -> str:
        return stripe_gateway.currency()

    def start(self, attempt, *, description: str, links: Links) -> Started:
        try:
            session = stripe_gateway.create_checkout_session(
                invoice_id=str(attempt.invoice_id), description=description,
                amount_cents=attempt.amount_cents,
                # Stripe writes the session's id in place of {CHECKOUT_SESSION_ID}.
                success_url=links.stripe_return + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=links.pay_page, customer_email=attempt.payer_email)
        except stripe_gateway.GatewayError as exc:
            raise GatewayError(str(exc)) from exc
        return Started(reference=session.id, url=session.url)

    def status(self, attempt) -> Outcome:
        # Stripe's webhook reports a payment; a session past its expiry can no longer pay.
        if timezone.now() - attempt.created_at > stripe_gateway.SESSION_LIFETIME:
            return Outcome(result=State.EXPIRED, detail="checkout session expired")
        return Outcome(result=WAITING)
