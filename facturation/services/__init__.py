"""Every state change of the facturation app."""

from .billing import (
    billable_items,
    issue_run,
    next_number,
    prepare_run,
    priced_lines,
)
from .online import settle, start_attempt
from .payments import (
    handle_stripe_event,
    not_configured_message,
    online_payment_available,
    record_payment,
)
from .reminders import send_overdue_reminders

__all__ = [
    "billable_items", "handle_stripe_event", "issue_run",
    "next_number", "not_configured_message", "online_payment_available", "prepare_run",
    "priced_lines", "record_payment", "send_overdue_reminders", "settle", "start_attempt",
]
