"""What apps above do when staff accept an absence justification.

This app imports no app above it (DESIGN.md, "Architecture"). An app above registers, in its
AppConfig.ready(), a function (justification, staff_user, now) called in the transaction of
the acceptance, after the state is saved; it returns the numbers of the issued invoices it
credits for that day (facturation: a credit note and a corrective invoice), so that the
acceptance e-mail tells the truth: « un avoir est établi », not « ne vous sera pas facturée »."""

ACCEPTANCE_HANDLERS = []  # functions (justification, staff_user, now) -> list[str]


def add_acceptance_handler(handler) -> None:
    if handler not in ACCEPTANCE_HANDLERS:
        ACCEPTANCE_HANDLERS.append(handler)


def after_acceptance(justification, staff_user, now) -> list[str]:
    return [number for handler in ACCEPTANCE_HANDLERS
            for number in handler(justification, staff_user, now)]
