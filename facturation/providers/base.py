"""What every online payment provider offers the portal (docs/paiements.md).

A provider starts an operation for an attempt (`start`: its reference and the address the
parent is sent to) and, asked about an operation, says where it stands (`status`). Nothing a
browser or a notification claims is recorded as such: `services.online` asks `status` and
records only its answer."""

from dataclasses import dataclass
from typing import Protocol

from ..models import Payment, PaymentAttempt

State = PaymentAttempt.State

# What `status` may answer besides a final state: the provider does not know yet.
WAITING = "waiting"


class GatewayError(Exception):
    """The provider could not be reached, or refused the request."""


@dataclass(frozen=True)
class Started:
    reference: str  # the provider's id of the operation (PayFiP's idOp, Stripe's session)
    url: str  # where the parent's browser goes to pay


@dataclass(frozen=True)
class Outcome:
    """Where an operation stands, as the provider itself says (never a browser)."""

    result: str  # WAITING, or State.PAID, REFUSED, ABANDONED, EXPIRED
    amount_cents: int | None = None  # what the provider collected, when paid
    currency: str = "eur"
    detail: str = ""  # for staff: the provider's result code, authorisation number
    # How the parent paid, as the provider reports it (a Payment.Method value).
    method: str = Payment.Method.CARD


@dataclass(frozen=True)
class Links:
    """The portal's addresses for one attempt, absolute (built from the request)."""

    pay_page: str  # the invoice's payment page (cancel, or back after an error)
    attempt_return: str  # where the parent comes back: shows the attempt's state
    stripe_return: str  # Stripe's success_url (it adds the session's id)
    notification: str  # where the provider notifies (PayFiP's urlnotif)


class Provider(Protocol):
    name: str  # PaymentAttempt.Provider value
    # Seconds a started operation may stay without an answer before `status` is asked
    # by the beat task (services.online.expire_stale_attempts).
    lifetime_seconds: int
    minimum_cents: int

    def is_configured(self) -> bool: ...

    def start(self, attempt: PaymentAttempt, *, description: str, links: Links) -> Started:
        """Open the operation at the provider; GatewayError when it cannot."""

    def status(self, attempt: PaymentAttempt) -> Outcome:
        """Ask the provider where the attempt's operation stands; GatewayError."""
