"""Campaign e-mails sent by beat: the opening, and the reminder before the deadline.

Each runs at most once per school year: the year row is locked and stamped in the same
transaction that writes the messages to the outbox."""

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from familles.households import households
from familles.letters import write_to_family
from familles.models import Child, Family
from ground.commune import commune

from ..models import AnnualFile, SchoolYear


def _returning_children(school_year: SchoolYear) -> set[int]:
    """Children whose file of the year before was validated."""
    previous = school_year.previous()
    if previous is None:
        return set()
    return set(AnnualFile.objects.filter(
        school_year=previous, state=AnnualFile.State.VALIDATED).values_list("child_id", flat=True))


def _families_of_children(child_ids):
    """Both households of a child in shared custody take part."""
    return Family.objects.filter(
        Q(children__in=child_ids) | Q(shared_children__in=child_ids)
    ).distinct().prefetch_related("guardians__user")


@transaction.atomic
def send_opening_notices(now=None) -> int:
    now = now or timezone.now()
    sent = 0
    years = SchoolYear.objects.select_for_update(skip_locked=True).filter(
        published=True, reregistration_opens_at__lte=now, reregistration_deadline__gt=now,
        opening_notice_sent_at__isnull=True,
    )
    for year in years:
        for family in _families_of_children(_returning_children(year)):
            write_to_family("campaign_opening", family,
                        {"school_year": year, "family": family})
            sent += 1
        year.opening_notice_sent_at = now
        year.save(update_fields=["opening_notice_sent_at"])
    return sent


@transaction.atomic
def send_deadline_reminders(now=None) -> int:
    now = now or timezone.now()
    days = commune().reregistration_reminder_days
    sent = 0
    years = SchoolYear.objects.select_for_update(skip_locked=True).filter(
        published=True, reregistration_opens_at__lte=now,
        reregistration_deadline__gt=now,
        reregistration_deadline__lte=now + timedelta(days=days),
        deadline_reminder_sent_at__isnull=True,
    )
    for year in years:
        # Families that take part: a validated file last year, or a file started this year.
        started = AnnualFile.objects.filter(school_year=year).values_list("child_id", flat=True)
        families = list(_families_of_children(_returning_children(year) | set(started)))
        pending_by_family = _children_without_submitted_file(families, year)
        for family in families:
            pending = pending_by_family.get(family.pk)
            if pending:
                write_to_family("campaign_deadline", family,
                            {"school_year": year, "family": family, "children": pending})
                sent += 1
        year.deadline_reminder_sent_at = now
        year.save(update_fields=["deadline_reminder_sent_at"])
    return sent


def _children_without_submitted_file(families, year) -> dict[int, list[Child]]:
    """Each family's children (both households) whose file of the year is not sent yet."""
    done = AnnualFile.objects.filter(school_year=year).exclude(
        state__in=AnnualFile.EDITABLE_STATES).values("child_id")
    ids = [family.pk for family in families]
    pending = defaultdict(list)
    for child in Child.objects.filter(Q(family__in=ids) | Q(second_family__in=ids)
                                      ).exclude(pk__in=done):
        for household in households(child):
            pending[household].append(child)
    return pending
