"""The only module that talks to Stripe: Checkout sessions out, signed webhook events in.

Keys come from the settings (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_CURRENCY`);
without a secret key nothing here is ever called (`is_configured`). Stripe's servers are
reached through `http_client()`, the one seam tests replace with a fake Stripe server."""

import json
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.conf import settings
from django.utils import timezone

# Seconds to connect to Stripe, then to read its answer: a parent waits on this request and
# it holds a web thread, so a Stripe that accepts but never answers must not hang it long.
TIMEOUT = (3, 8)
# A Checkout session expires after this delay (Stripe accepts 30 minutes to 24 hours): an old
# tab cannot pay an amount that staff have meanwhile collected at the counter.
SESSION_LIFETIME = timedelta(hours=1)
# How far in the future a webhook signature may be dated (the two clocks' skew). Stripe's
# tolerance only refuses signatures older than 5 minutes; one dated tomorrow would stay
# replayable until tomorrow plus 5 minutes.
SIGNATURE_FUTURE_TOLERANCE = timedelta(minutes=5)


class GatewayError(Exception):
    """Stripe could not be reached, or refused the request."""


class InvalidEvent(Exception):
    """A webhook whose signature or payload does not hold: it did not come from Stripe."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def currency() -> str:
    return settings.STRIPE_CURRENCY.lower()


def http_client() -> stripe.HTTPClient:
    """Stripe's HTTP layer (tests replace this function with a fake Stripe server)."""
    return stripe.RequestsClient(timeout=TIMEOUT)


def client() -> stripe.StripeClient:
    # No retry: the parent's click is the retry, with an answer in seconds.
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=http_client(),
                               max_network_retries=0)


def create_checkout_session(*, invoice_id: str, description: str, amount_cents: int,
                            success_url: str, cancel_url: str,
                            customer_email: str = "") -> CheckoutSession:
    """A hosted Checkout page paying `amount_cents` for one invoice (its id in the metadata,
    which the webhook reads back)."""
    params = {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": currency(),
                "unit_amount": amount_cents,
                "product_data": {"name": description},
            },
        }],
        "client_reference_id": invoice_id,
        "metadata": {"invoice_id": invoice_id},
        "payment_intent_data": {"metadata": {"invoice_id": invoice_id}},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int((timezone.now() + SESSION_LIFETIME).timestamp()),
        "locale": "fr",
    }
    if customer_email:
        params["customer_email"] = customer_email
    try:
        session = client().v1.checkout.sessions.create(params=params)
    except stripe.StripeError as exc:  # APIConnectionError included
        raise GatewayError(str(exc)) from exc
    return CheckoutSession(id=session.id, url=session.url)


def verified_event(payload: bytes, signature_header: str | None) -> dict:
    """The event Stripe signed, as plain data; `InvalidEvent` when the signature (dated
    within 5 minutes before or after now, against replays) or the payload does not hold."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(str(exc)) from exc
    # stripe-python reads any JSON it is given as an event (and fails on a list or a number).
    if not isinstance(data, dict) or not all(
            isinstance(data.get(key), str) and data.get(key) for key in ("id", "type")):
        raise InvalidEvent("not a Stripe event: no id or type")
    try:
        event = stripe.Webhook.construct_event(payload, signature_header,
                                               settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError) as exc:
        raise InvalidEvent(str(exc)) from exc
    signed_at = _signature_timestamp(signature_header)
    if signed_at > timezone.now().timestamp() + SIGNATURE_FUTURE_TOLERANCE.total_seconds():
        raise InvalidEvent(f"signature dated in the future (t={signed_at})")
    return event.to_dict()


def _signature_timestamp(signature_header: str) -> int:
    """The `t=` of a Stripe-Signature header (`t=…,v1=…`), once the signature is verified."""
    for item in signature_header.split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    raise InvalidEvent("no timestamp in the signature")
