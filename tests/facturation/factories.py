"""Factories for invoicing: a billing run and an invoice, issued with the `issued` trait.

    InvoiceFactory(issued=True, family=family, total_cents=4250)

Each run gets its own month, so that factories never collide with the one-draft-per-month
constraint; issued numbers are taken from a range (<year>-9xxxxx) that the real gap-free
sequence of `issue_run` does not reach in a test."""

import datetime

import factory
from django.utils import timezone

from facturation.models import BillingRun, Invoice
from ground.commune import commune
from tests.factories import FamilyFactory


def _month(n: int) -> datetime.date:
    """A distinct first-of-month per run, going back from this month."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - n % 600
    return datetime.date(index // 12, index % 12 + 1, 1)


class BillingRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingRun

    month = factory.Sequence(_month)
    prepared_at = factory.LazyFunction(timezone.now)

    class Params:
        issued = factory.Trait(
            state=BillingRun.State.ISSUED,
            issued_at=factory.LazyFunction(timezone.now),
        )


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    run = factory.SubFactory(BillingRunFactory)
    family = factory.SubFactory(FamilyFactory)
    month = factory.SelfAttribute("run.month")
    total_cents = 4250

    class Params:
        issued = factory.Trait(
            run=factory.SubFactory(BillingRunFactory, issued=True),
            state=Invoice.State.ISSUED,
            number=factory.Sequence(
                lambda n: f"{timezone.localdate().year}-{900000 + n:06d}"),
            issued_at=factory.LazyFunction(timezone.now),
            due_date=factory.LazyFunction(
                lambda: timezone.localdate()
                + datetime.timedelta(days=commune().invoice_due_days)),
        )


# --- Stripe, as the tests see it: signed webhook events and a fake Stripe server ----------
# Nothing of ours is mocked: events are signed with Stripe's scheme and go through
# stripe.Webhook.construct_event; Checkout sessions go through stripe-python down to its HTTP
# client, whose requests session is the fake server below.

WEBHOOK_SECRET = "whsec_test_portail_famille"
SECRET_KEY = "sk_test_portail_famille"


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>."""
    import hashlib
    import hmac
    import time

    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(),
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


_event_numbers = iter(range(1, 10**9))


def checkout_completed(invoice, *, amount_cents=None, currency="eur", session_id=None,
                       event_type="checkout.session.completed", payment_status="paid") -> dict:
    """The event Stripe sends when a Checkout session made by `start_checkout` is paid."""
    n = next(_event_numbers)
    session_id = session_id or f"cs_test_{n:08d}"
    amount = invoice.balance_cents() if amount_cents is None else amount_cents
    return {
        "id": f"evt_test_{n:08d}", "object": "event", "type": event_type,
        "api_version": "2025-01-27.acacia", "created": 1_700_000_000, "livemode": False,
        "data": {"object": {
            "id": session_id, "object": "checkout.session", "mode": "payment",
            "amount_total": amount, "currency": currency, "payment_status": payment_status,
            "status": "complete", "client_reference_id": str(invoice.pk),
            "metadata": {"invoice_id": str(invoice.pk)},
            "payment_intent": f"pi_test_{n:08d}",
        }},
    }


class FakeStripeServer:
    """Stands for api.stripe.com behind stripe-python's RequestsClient (as its `session`):
    records each request and answers what Stripe would, or cannot be reached at all."""

    def __init__(self, *, unreachable=False, status=200, body=None):
        self.unreachable = unreachable
        self.status = status
        self.body = body
        self.requests = []

    def request(self, method, url, headers=None, data=None, **kwargs):
        import json
        from urllib.parse import parse_qsl

        import requests

        self.requests.append({"method": method.upper(), "url": url,
                              "params": dict(parse_qsl(data or "")), "headers": headers})
        if self.unreachable:
            raise requests.ConnectionError("Failed to establish a new connection")
        body = self.body or {
            "id": "cs_test_fake", "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_fake",
        }
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.headers["Request-Id"] = "req_test"
        return response
