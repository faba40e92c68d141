"""Every state change of the reservations app."""

from .absences import (
    accept_justification,
    family_justifications,
    justifiable_reservations,
    justification_limit_text,
    justification_refusal,
    justify_absence,
    refuse_justification,
)
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
    "Busy",
    "Outcome",
    "accept_justification",
    "apply_closure",
    "apply_opened_periods",
    "book",
    "cancel",
    "close_slot",
    "end_for_enrolment",
    "end_subscription",
    "family_justifications",
    "first_open_day",
    "generate_slots",
    "justifiable_reservations",
    "justification_limit_text",
    "justification_refusal",
    "justify_absence",
    "promote_waiting",
    "refuse_justification",
    "release",
    "reopen_slot",
    "set_capacity",
    "subscribe",
    "time_refusal",
]
