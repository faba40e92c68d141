"""Queueing a Celery task by its name: tasks import services, and a service that has work for
the worker after its commit (an e-mail to send, a PDF to render) names the task instead of
importing it. Each app that does so imports its tasks in its AppConfig.ready(), so that every
process knows them (and runs them inline when CELERY_TASK_ALWAYS_EAGER is set)."""

from celery import current_app


def queue_task(name: str, *args, countdown: float | None = None) -> None:
    """Queue the registered task `name` ("app.tasks.function") with these arguments. A broker
    outage raises: callers decide what it costs them."""
    current_app.tasks[name].apply_async(args=args, countdown=countdown)
