"""Every state change of the facturation app."""

from .billing import (
    billable_items,
    issue_run,
    month_bounds,
    next_number,
    prepare_run,
    priced_lines,
)

__all__ = ["billable_items", "issue_run", "month_bounds", "next_number", "prepare_run",
           "priced_lines"]
