"""Celery tasks of the facturation app: they take ids and call services (safe to run twice)."""

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from ground.calendar import previous_month

from .attestation_pdf import store_attestation_pdf
from .pdf import store_invoice_pdf
from .services import online, reminders
from .services.attestations import prepare_fiscal_drafts
from .services.billing import prepare_month

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def render_invoice_pdf(invoice_id: str) -> None:
    """Render and store an issued invoice's PDF (safe to run twice)."""
    store_invoice_pdf(invoice_id)


@shared_task(ignore_result=True)
def prepare_previous_month(now=None) -> int | None:
    """Beat, on the 1st: draft the month just ended for staff to check. Never issues: staff
    issue from the admin. Returns the draft run's id (None when a tariff is missing: staff
    see it when they prepare the month themselves)."""
    now = now or timezone.now()
    month = previous_month(timezone.localdate(now))
    try:
        run = prepare_month(month, None, now=now)
    except ValidationError as exc:
        logger.warning("Billing run of %s not prepared: %s", f"{month:%m/%Y}",
                       " ".join(exc.messages))
        return None
    return run.pk


@shared_task(ignore_result=True)
def send_overdue_reminders() -> int:
    return reminders.send_overdue_reminders()


@shared_task(ignore_result=True)
def render_attestation_pdf(attestation_id: str) -> None:
    """Render and store an issued attestation's PDF (safe to run twice)."""
    store_attestation_pdf(attestation_id)


@shared_task(ignore_result=True)
def prepare_fiscal_attestations(now=None) -> int:
    """Beat, in January: draft the attestations fiscales of the year just ended for staff to
    check. Never publishes: staff publish from the admin, which e-mails the families."""
    now = now or timezone.now()
    return prepare_fiscal_drafts(timezone.localdate(now).year - 1, None, now=now)


@shared_task(ignore_result=True)
def expire_stale_payment_attempts() -> dict[str, int]:
    """Beat: online attempts left open are asked of their provider, then expired."""
    return online.expire_stale_attempts()
