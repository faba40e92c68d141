"""Every state change of the reservations app."""

from .booking import (
    Busy,
    Outcome,
    book,
    cancel,
    close_slot,
    promote_waiting,
    release,
    reopen_slot,
    set_capacity,
    time_refusal,
)
from .slots import apply_closure, generate_slots
from .subscriptions import (
    apply_opened_periods,
    end_for_enrolment,
    end_subscription,
    first_open_day,
    subscribe,
)

__all__ = [
    "Busy", "Outcome", "apply_closure", "apply_opened_periods", "book", "cancel",
    "close_slot", "end_for_enrolment", "end_subscription", "first_open_day",
    "generate_slots", "promote_waiting", "release", "reopen_slot", "set_capacity",
    "subscribe", "time_refusal",
]
