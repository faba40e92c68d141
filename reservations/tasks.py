from celery import shared_task

from . import services
from .services import summaries


@shared_task(ignore_result=True)
def apply_subscriptions_to_opened_periods() -> int:
    """Canteen subscriptions book the days of a booking period as soon as it opens."""
    return services.apply_opened_periods()


@shared_task(ignore_result=True)
def send_booking_summaries() -> int:
    """Every household's booking session over: one summary e-mail (or letter) each."""
    return summaries.send_due()


@shared_task(ignore_result=True)
def send_booking_summary(household_id: int) -> int:
    """One household's sessions over (queued after each action when the commune's quiet
    time is 0)."""
    return summaries.send_summary(household_id)
