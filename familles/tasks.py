from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def send_document_expiry_notices() -> int:
    return services.send_expiry_notices()
