"""The online payment providers and the one the portal uses (docs/paiements.md).

The operators' environment decides which provider is active (PORTAIL_PAYMENT_PROVIDER,
or the one whose keys are set: PayFiP, then Stripe); the commune's settings decide whether
card payment is offered at all (payment_methods)."""

from django.conf import settings

from .base import WAITING, GatewayError, Links, Outcome, Provider, Started  # noqa: F401
from .demo import DemoProvider
from .payfip import PayFiPProvider
from .stripe import StripeProvider

PROVIDERS: dict[str, Provider] = {
    provider.name: provider for provider in (PayFiPProvider(), StripeProvider(), DemoProvider())
}


def get(name: str) -> Provider:
    return PROVIDERS[name]


def active() -> Provider | None:
    """The provider « Payer en ligne » goes to; None when none is configured."""
    chosen = settings.PORTAIL_PAYMENT_PROVIDER
    candidates = [PROVIDERS[chosen]] if chosen in PROVIDERS else [
        PROVIDERS["payfip"], PROVIDERS["stripe"]]
    return next((provider for provider in candidates if provider.is_configured()), None)
