from celery import shared_task

from . import outbox


@shared_task(ignore_result=True)
def send_outbox_message(message_id: int) -> bool:
    return outbox.deliver(message_id)


@shared_task(ignore_result=True)
def drain_outbox() -> int:
    return outbox.drain()


@shared_task(ignore_result=True)
def requeue_unsent_messages() -> int:
    ids = outbox.stale_message_ids()
    for message_id in ids:
        outbox.dispatch(message_id)
    return len(ids)
