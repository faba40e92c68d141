"""Campaign e-mails sent by beat: the opening, and the reminder before the deadline.

Each runs at most once per school year: the year row is locked and stamped in the same
transaction that writes the messages to the outbox."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from familles.models import Child, Family
from portail.outbox import queue_email

from .models import AnnualFile, SchoolYear


def _families_expected(school_year: SchoolYear):
    """Families that take part: a validated file last year, or a file started this year."""
    previous = school_year.previous()
    child_ids = set(
        AnnualFile.objects.filter(school_year=school_year).values_list("child_id", flat=True))
    if previous is not None:
        child_ids |= set(AnnualFile.objects.filter(
            school_year=previous, state=AnnualFile.State.VALIDATED
        ).values_list("child_id", flat=True))
    return _families_of_children(child_ids)


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
        reregistration_opens_at__lte=now, reregistration_deadline__gt=now,
        opening_notice_sent_at__isnull=True,
    )
    for year in years:
        previous = year.previous()
        families = Family.objects.none()
        if previous is not None:
            families = _families_of_children(AnnualFile.objects.filter(
                school_year=previous, state=AnnualFile.State.VALIDATED,
            ).values("child_id"))
        for family in families:
            queue_email("campaign_opening", family.guardian_emails(),
                        {"school_year": year, "family": family})
            sent += 1
        year.opening_notice_sent_at = now
        year.save(update_fields=["opening_notice_sent_at"])
    return sent


@transaction.atomic
def send_deadline_reminders(now=None) -> int:
    now = now or timezone.now()
    days = settings.PORTAIL_REREGISTRATION_REMINDER_DAYS
    sent = 0
    years = SchoolYear.objects.select_for_update(skip_locked=True).filter(
        reregistration_opens_at__lte=now,
        reregistration_deadline__gt=now,
        reregistration_deadline__lte=now + timedelta(days=days),
        deadline_reminder_sent_at__isnull=True,
    )
    for year in years:
        for family in _families_expected(year):
            pending = _children_without_submitted_file(family, year)
            if pending:
                queue_email("campaign_deadline", family.guardian_emails(),
                            {"school_year": year, "family": family, "children": pending})
                sent += 1
        year.deadline_reminder_sent_at = now
        year.save(update_fields=["deadline_reminder_sent_at"])
    return sent


def _children_without_submitted_file(family, year):
    done = AnnualFile.objects.filter(school_year=year).exclude(
        state__in=AnnualFile.EDITABLE_STATES).values_list("child_id", flat=True)
    return list(Child.objects.for_family(family).exclude(pk__in=done))
