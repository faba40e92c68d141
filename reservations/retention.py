"""Retention of what the reservations app holds on a household (docs/donnees-personnelles.md,
« Durées de conservation » and « Droit à l'effacement »): a closed household's future
bookings, subscriptions, wishes and calendar address; absence justifications' details and
documents.

Past bookings and attendances stay: billing priced them and the invoices name them. Future
bookings go through the booking service (`booking.release`), so the place is given to the
first child waiting, as for any cancellation."""

import logging

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from familles.models import Document
from familles.retention import delete_document
from ground.commune import commune

from .deadlines import slot_deadline
from .models import (
    AbsenceJustification,
    AllocationPriority,
    MealSubscription,
    Reservation,
    Wish,
)
from .services import booking, feeds

logger = logging.getLogger(__name__)

HOLDING = (Reservation.State.CONFIRMED, Reservation.State.WAITING)


def future_bookings(family_id: int, now=None) -> list[Reservation]:
    """The household's bookings that can still be cancelled (before their deadline): those
    a closed household gives back. Those past it stay, billed as any booking."""
    now = now or timezone.now()
    reservations = (Reservation.objects
                    .filter(family_id=family_id, state__in=HOLDING,
                            slot__date__gte=timezone.localdate(now))
                    .select_related("child", "slot__activity__deadline_rule")
                    .order_by("slot__date", "slot_id"))
    return [r for r in reservations if now < slot_deadline(r.slot)]


def _forget_details(justifications) -> None:
    """The family's words go from the justifications and from their history."""
    justifications.exclude(details="").update(details="")
    AbsenceJustification.history.filter(
        id__in=justifications.values("pk")).exclude(details="").update(details="")


def _drop_justification_documents(justifications) -> int:
    """Let go of the justifications' documents and delete them with their files; the
    decisions (state, who, when) stay, they decided what was billed."""
    documents = list(Document.objects.filter(
        pk__in=justifications.exclude(document=None).values("document_id")))
    justifications.update(document=None)
    AbsenceJustification.history.filter(
        id__in=justifications.values("pk")).update(document=None)
    return sum(delete_document(document) for document in documents)


@transaction.atomic
def release_family(family_id: int, actor=None, now=None) -> dict[str, int]:
    """A household closed (inactive, or erased on request): its future bookings cancelled
    (waiting children promoted), canteen subscriptions stopped, wishes of days to come
    withdrawn, calendar address revoked, absence justifications emptied of the family's
    words and documents. `actor`: the agent who approved the erasure (None at night)."""
    now = now or timezone.now()
    cancelled = 0
    for reservation in future_bookings(family_id, now):
        booking.release(reservation.pk, actor, now=now)
        cancelled += 1
    stopped = {"active": False, "applies_from": timezone.localdate(now)}
    if actor is not None:
        stopped["updated_by"] = actor
    subscriptions = MealSubscription.objects.filter(
        enrolment__child__family_id=family_id, active=True).update(**stopped)
    wishes, _by_model = Wish.objects.filter(
        family_id=family_id, slot__date__gte=timezone.localdate(now)).delete()
    feeds.revoke_feed(family_id, now)
    justifications = AbsenceJustification.objects.filter(reservation__family_id=family_id)
    _forget_details(justifications)
    documents = _drop_justification_documents(justifications)
    logger.info("Retention: household %d released its bookings (%d cancelled)", family_id,
                cancelled)
    return {"reservations": cancelled, "subscriptions": subscriptions, "wishes": wishes,
            "documents": documents}


@transaction.atomic
def release_old_justification_documents(today=None) -> int:
    """A decided justification whose day is older than the commune's document period loses
    the family's words (its details may tell an illness) and its document, deleted with its
    file; the decision (reason, state, who, when) stays: it decided what was billed.
    Returns how many documents were deleted."""
    today = today or timezone.localdate()
    cutoff = today - relativedelta(months=commune().retention_document_months)
    justifications = AbsenceJustification.objects.filter(
        reservation__slot__date__lt=cutoff).exclude(state=AbsenceJustification.State.SUBMITTED)
    _forget_details(justifications)
    deleted = _drop_justification_documents(justifications)
    logger.info("Retention: %d documents of old absence justifications deleted", deleted)
    return deleted


@transaction.atomic
def purge_past_priorities(today=None) -> int:
    """A priority staff set until a date (its reason may tell a disability) goes the day
    after, with its history: a run already made froze only which rule it satisfied."""
    today = today or timezone.localdate()
    past = AllocationPriority.objects.filter(valid_until__lt=today)
    ids = list(past.values_list("pk", flat=True))
    deleted, _by_model = AllocationPriority.objects.filter(pk__in=ids).delete()
    # After the rows: deleting one writes its last state in the history.
    AllocationPriority.history.filter(id__in=ids).delete()
    logger.info("Retention: %d past allocation priorities deleted", deleted)
    return deleted
