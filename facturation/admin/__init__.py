"""Staff tools of the facturation app, one module per concept: tariffs and billing rules, the
monthly run (prepare a draft, check it, issue it), invoices and credit notes (read-only, never
deleted) with the families' balances and the treasury's export, payments recorded at the desk,
attestations, and SEPA direct debit. Every change of money goes through facturation.services."""

from . import (  # noqa: F401  (they register)
    attempts,
    attestations,
    direct_debit,
    invoices,
    payments,
    rollover,
    runs,
    tariffs,
)
