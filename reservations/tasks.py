from celery import shared_task

from . import services
from .services import allocation_jobs, summaries


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


@shared_task(ignore_result=True)
def run_allocation_job(period_id: int, user_id: int) -> int | None:
    """A draft of the period's allocation, asked by an agent (services.allocation_jobs)."""
    return allocation_jobs.run_job(period_id, user_id)


@shared_task(ignore_result=True)
def publish_allocation_job(allocation_id: int, user_id: int) -> bool:
    """The publication an agent confirmed (services.allocation_jobs)."""
    return allocation_jobs.publish_job(allocation_id, user_id)
