"""The demonstration provider of `make run`: no bank, no internet. Its « bank » is a page of
the portal, labelled « mode démonstration », where the parent chooses what happens (paid,
refused, abandoned); the choice is kept in the cache as a provider keeps its operations, and
the portal then asks `status` as it asks PayFiP. Production refuses to start with it
(portail/settings/production.py)."""

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from .base import WAITING, Links, Outcome, Started, State

CHOICES = (State.PAID, State.REFUSED, State.ABANDONED)


def _key(attempt) -> str:
    return f"demo-payment:{attempt.provider_reference}"


class DemoProvider:
    name = "demo"
    label = "démonstration"
    lifetime_seconds = 30 * 60
    minimum_cents = 1

    def is_configured(self) -> bool:
        return settings.PORTAIL_PAYMENT_PROVIDER == "demo"

    def currency(self) -> str:
        return "eur"

    def start(self, attempt, *, description: str, links: Links) -> Started:
        return Started(reference=f"demo-{attempt.pk}",
                       url=reverse("facturation:demo_bank", args=[attempt.pk]))

    def choose(self, attempt, choice: str) -> None:
        """What the parent chose on the demonstration page, as the bank would record it."""
        cache.set(_key(attempt), choice, self.lifetime_seconds * 2)

    def status(self, attempt) -> Outcome:
        choice = cache.get(_key(attempt))
        if choice not in CHOICES:
            return Outcome(result=WAITING)
        if choice == State.PAID:
            return Outcome(result=State.PAID, amount_cents=attempt.amount_cents,
                           currency=attempt.currency, detail="démonstration")
        return Outcome(result=choice, detail="démonstration")
