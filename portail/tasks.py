"""Celery tasks of the roof: they take ids and call services (safe to run twice)."""

from celery import shared_task

from . import messaging, personal_data, retention


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


@shared_task(ignore_result=True)
def build_data_export(export_id: str) -> None:
    """Write a household's data export and e-mail its link."""
    personal_data.build_export(export_id)


@shared_task(ignore_result=True)
def tidy_data_exports() -> int:
    """Beat: delete expired exports' files, queue again the builds whose task was lost."""
    return personal_data.tidy_exports()
