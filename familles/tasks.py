from celery import shared_task

from . import reminders


@shared_task(ignore_result=True)
def send_document_expiry_notices() -> int:
    return reminders.send_expiry_notices()
