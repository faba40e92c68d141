"""Running and publishing an allocation in the worker (docs/allocation.md).

At a town's size a run or a publication takes seconds to tens of seconds (docs/performance.md,
« Issue 28 »): more than a web request should hold, and a proxy or gunicorn's timeout would
cut it. The agent asks; the period records what is being done and since when; the worker
does it, then clears the job or records the refusal for the agent to read. One job per
period at a time. A job the worker lost (a restart) no longer blocks after STALE: the agent
asks again, and the services' own locks and checks keep a late duplicate harmless (a second
run is one more draft; a second publication is refused)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ground.task_queue import queue_task

from ..deadlines import format_moment
from ..models import Allocation, BookingPeriod
from .allocation import check_runnable, publish_allocation, run_allocation

STALE = timedelta(minutes=15)
RUN_TASK = "reservations.tasks.run_allocation_job"
PUBLISH_TASK = "reservations.tasks.publish_allocation_job"


def busy(period: BookingPeriod, now) -> bool:
    return bool(period.allocation_job) and now - period.allocation_job_since < STALE


def _start(period: BookingPeriod, job: str, now) -> None:
    if busy(period, now):
        raise ValidationError(_("%(job)s est déjà en cours depuis le %(moment)s : "
                                "attendez qu'il se termine.") % {
            "job": period.get_allocation_job_display().capitalize(),
            "moment": format_moment(period.allocation_job_since)})
    period.allocation_job, period.allocation_job_since = job, now
    period.allocation_job_error = ""
    period.save(update_fields=["allocation_job", "allocation_job_since",
                               "allocation_job_error"])


def request_run(period_id, user, *, now=None) -> BookingPeriod:
    """The agent asks for a draft: refused at once with the reason if the period cannot be
    allocated now; otherwise the worker computes it after this commit."""
    now = now or timezone.now()
    with transaction.atomic():
        period = BookingPeriod.objects.select_for_update().get(pk=period_id)
        check_runnable(period, now)
        _start(period, BookingPeriod.Job.RUN, now)
        transaction.on_commit(lambda: queue_task(RUN_TASK, period.pk, user.pk))
    return period


def request_publication(allocation_id, user, *, now=None) -> BookingPeriod:
    """The agent confirms the publication of the latest draft; the worker publishes it."""
    now = now or timezone.now()
    with transaction.atomic():
        allocation = Allocation.objects.get(pk=allocation_id)
        period = BookingPeriod.objects.select_for_update().get(pk=allocation.period_id)
        if period.allocation_published_at is not None:
            raise ValidationError(_("L'attribution de cette période est déjà publiée."))
        if allocation.state != Allocation.State.DRAFT:
            raise ValidationError(_("Seul le dernier brouillon peut être publié."))
        _start(period, BookingPeriod.Job.PUBLISH, now)
        transaction.on_commit(lambda: queue_task(PUBLISH_TASK, allocation.pk, user.pk))
    return period


def _finish(period_id, job: str, error: str = "") -> None:
    """Clear the job if it is still the one that ran (the agent may have asked again after
    STALE), keeping its refusal for the agent's page."""
    with transaction.atomic():
        period = BookingPeriod.objects.select_for_update().get(pk=period_id)
        if period.allocation_job == job:
            period.allocation_job, period.allocation_job_since = BookingPeriod.Job.NONE, None
        period.allocation_job_error = error
        period.save(update_fields=["allocation_job", "allocation_job_since",
                                   "allocation_job_error"])


def run_job(period_id, user_id) -> int | None:
    """The worker's run; returns the draft's id, or None when refused (reason recorded)."""
    user = get_user_model().objects.get(pk=user_id)
    try:
        allocation = run_allocation(period_id, user)
    except ValidationError as error:
        _finish(period_id, BookingPeriod.Job.RUN, " ".join(error.messages))
        return None
    _finish(period_id, BookingPeriod.Job.RUN)
    return allocation.pk


def publish_job(allocation_id, user_id) -> bool:
    """The worker's publication; False when refused (reason recorded for the agent)."""
    user = get_user_model().objects.get(pk=user_id)
    period_id = Allocation.objects.values_list("period_id", flat=True).get(pk=allocation_id)
    try:
        publish_allocation(allocation_id, user)
    except ValidationError as error:
        _finish(period_id, BookingPeriod.Job.PUBLISH, " ".join(error.messages))
        return False
    _finish(period_id, BookingPeriod.Job.PUBLISH)
    return True
