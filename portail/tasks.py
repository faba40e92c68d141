"""Celery tasks of the roof: they take ids and call services (safe to run twice)."""

from celery import shared_task

from . import messaging, retention


@shared_task(ignore_result=True)
def write_family_message(message_id: int) -> int:
    """Write a sent message's e-mails and letters, batch after batch."""
    return messaging.write_message(message_id)


@shared_task(ignore_result=True)
def resume_family_messages() -> int:
    """Beat: queue again the messages whose task was lost (a broker outage)."""
    return len(messaging.resume_sending())


@shared_task(ignore_result=True)
def apply_retention() -> dict[str, int]:
    """Beat, nightly: the retention periods (portail.retention)."""
    return retention.run()
