"""The summary of what a household changed (issue 23, item 6): one e-mail per household and
booking session, not one per click.

- Each booking or cancellation (a parent's, or the service's for the family: on behalf, at
  the front desk) writes one `SummaryLine` per day changed and household of the child, in one
  INSERT right after the change (`record`, the statement the summary e-mail used to take): a
  crash after it loses nothing, the lines wait in the database.
- A household's session is its changes until it has been quiet for the commune's
  `booking_summary_minutes` (10 by default, « Paramètres de la commune »): a parent clicking
  ten Wednesdays one by one, or an agent booking them during a phone call, is one session.
  Staff's changes join the family's own session, so that a day booked by the service and
  cancelled by the parent a minute later is told once, coherently; each line done by the
  service says so.
- Beat's `send_booking_summaries` (every minute) sends each session over: one message for
  the household, to each of its guardians' addresses and as a letter to print for a household
  served by post (`familles.letters.write`), in the transaction that deletes its lines. The
  lines are locked `FOR UPDATE SKIP LOCKED`: a second flush at the same moment finds none and
  sends nothing.
- In the message each day is one line, in the order the days were first changed, with its
  final state: « réservé puis annulé » for a day booked then cancelled in the same session.
- With 0 minutes each action's lines are sent right after its commit, by a task queued then
  (the demo's commune: `make run` has no beat, its tasks run in the request)."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from familles.households import addresses_of, households
from familles.letters import write
from ground.commune import commune
from ground.task_queue import queue_task

from ..deadlines import format_day
from ..models import SummaryLine

logger = logging.getLogger(__name__)

TEMPLATE = "reservations_summary"
SEND_TASK = "reservations.tasks.send_booking_summary"

STATE_WORDS = {
    "confirmed": gettext_noop("réservé"),
    "waiting": gettext_noop("en liste d'attente"),
    "cancelled": gettext_noop("annulé"),
}


def quiet_time() -> timedelta:
    return timedelta(minutes=commune().booking_summary_minutes)


def record(changes, *, by_service=False, now=None) -> None:
    """Write the lines of what an action changed: `changes`, [(child, outcomes)] (outcomes
    that changed nothing are left out), one line per day and household of the child."""
    now = now or timezone.now()
    lines = [SummaryLine(household_id=household, child=child, slot=outcome.slot,
                         state=outcome.state, by_service=by_service, at=now)
             for child, outcomes in changes for outcome in outcomes if outcome.changed
             for household in households(child)]
    if not lines:
        return
    SummaryLine.objects.bulk_create(lines)
    if not quiet_time():
        for household in dict.fromkeys(line.household_id for line in lines):
            transaction.on_commit(lambda household=household: _queue(household))


def _queue(household_id: int) -> None:
    """Hand one household's summary to Celery; a broker outage is beat's to make up for."""
    try:
        queue_task(SEND_TASK, household_id)
    except Exception:
        logger.warning("Summary of household %s not queued; the beat job will send it",
                       household_id)


def due_households(now=None) -> list[int]:
    """The households whose first line waiting is older than the quiet time, oldest first:
    each may have a session over (`send_summary` decides)."""
    now = now or timezone.now()
    return list(SummaryLine.objects.values("household_id").annotate(first=Min("at"))
                .filter(first__lte=now - quiet_time()).order_by("first")
                .values_list("household_id", flat=True))


def send_due(now=None) -> int:
    """Send every session over; returns how many messages were written."""
    now = now or timezone.now()
    return sum(send_summary(household, now=now) for household in due_households(now))


def send_summary(household_id: int, *, now=None) -> int:
    """Write the household's sessions that are over (followed by the quiet time, or by `now`
    that long after their last change), one message each, and delete their lines, in one
    transaction. Lines another flush holds are skipped, not waited for. Returns how many
    messages were written."""
    now = now or timezone.now()
    quiet = quiet_time()
    with transaction.atomic():
        lines = list(SummaryLine.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(household_id=household_id)
                     .select_related("child", "slot__activity", "slot__unit")
                     .order_by("at", "pk"))
        sessions = _sessions(lines, quiet)
        if sessions and sessions[-1][-1].at > now - quiet:
            sessions.pop()  # the household is still at it
        if not sessions:
            return 0
        found = addresses_of([household_id])[household_id]
        for session in sessions:
            write(TEMPLATE, household_id, found.emails, found.by_post, _context(session))
        SummaryLine.objects.filter(pk__in=[line.pk for session in sessions
                                           for line in session]).delete()
    return len(sessions)


def _sessions(lines, quiet: timedelta) -> list[list[SummaryLine]]:
    """The lines (in order) cut wherever the household was quiet longer than `quiet` (with
    0, each action is its own session: its lines share their time)."""
    sessions = []
    for line in lines:
        if not sessions or line.at - sessions[-1][-1].at > quiet:
            sessions.append([])
        sessions[-1].append(line)
    return sessions


def _context(session: list[SummaryLine]) -> dict:
    """One line per child's day, in the order the days were first changed, saying its final
    state (and the first one, when the session changed it)."""
    states = {state: _(words) for state, words in STATE_WORDS.items()}  # once, not per line
    days: dict[tuple, list[SummaryLine]] = {}
    for line in session:
        days.setdefault((line.child_id, line.slot_id), []).append(line)
    groups: dict[int, dict] = {}
    for changes in days.values():
        first, last = changes[0], changes[-1]
        state = states[last.state] if first.state == last.state else _(
            "%(first)s puis %(last)s") % {"first": states[first.state],
                                          "last": states[last.state]}
        slot = last.slot
        groups.setdefault(last.child_id, {"child": last.child, "lines": []})["lines"].append({
            "day": format_day(slot.date), "activity": slot.activity.name,
            "unit": slot.unit.label, "state": state, "by_service": last.by_service})
    groups = list(groups.values())
    by_service = [line.by_service for line in session]
    return {"groups": groups, "by_service": all(by_service),
            "some_by_service": any(by_service),
            "names": get_text_list([group["child"].first_name for group in groups], _("et"))}
