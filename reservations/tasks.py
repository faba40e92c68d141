from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def apply_subscriptions_to_opened_periods() -> int:
    """Canteen subscriptions book the days of a booking period as soon as it opens."""
    return services.apply_opened_periods()
