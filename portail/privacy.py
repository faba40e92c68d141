"""What the « Données personnelles » notice (GDPR art. 13) says, read from the commune's
settings and from what the operators configured: the online payment provider actually in use
and whether direct debit is offered, so that the recipients it names are the real ones."""

from facturation import direct_debit, providers
from ground.commune import commune


def notice_context() -> dict:
    town = commune()
    provider = providers.active() if town.offers(town.PaymentMethod.CARD) else None
    return {
        "payment_provider": provider.label if provider is not None else "",
        "direct_debit": direct_debit.offered(),
        "retention": {
            "document_months": town.retention_document_months,
            "outbox_body_days": town.retention_outbox_body_days,
            "access_log_days": town.retention_access_log_days,
            "inactive_account_years": town.retention_inactive_account_years,
        },
    }
