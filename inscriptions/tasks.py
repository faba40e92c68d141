from celery import shared_task

from .services import reminders


@shared_task(ignore_result=True)
def send_campaign_opening_notices() -> int:
    return reminders.send_opening_notices()


@shared_task(ignore_result=True)
def send_campaign_deadline_reminders() -> int:
    return reminders.send_deadline_reminders()
