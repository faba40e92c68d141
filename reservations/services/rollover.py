"""Next year in one click, the reservations' part: each copied activity's deadline rule, age
groups, capacities and booking periods (their days and openings moved by the school calendar,
inscriptions.services.rollover.DayMap), then its slots, generated as staff generate them
(services/slots.py). Reads the old year only; orchestrated by facturation/services/rollover.py.
"""

from dataclasses import dataclass, field

from django.db import transaction

from inscriptions.services.rollover import CatalogueCopy

from ..models import AgeGroup, BookingPeriod, CapacityRule, DeadlineRule, Slot
from .slots import generate_slots


@dataclass
class BookingCopy:
    periods: list[tuple[BookingPeriod, BookingPeriod]] = field(default_factory=list)
    periods_dropped: list[BookingPeriod] = field(default_factory=list)
    slots: int = 0


def _fields(instance, *skip) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.get_fields()
            if f.concrete and not f.many_to_many and f.name not in ("id", "activity", *skip)}


@transaction.atomic
def copy_booking_setup(catalogue: CatalogueCopy) -> BookingCopy:
    result = BookingCopy()
    old_ids = list(catalogue.activities)
    for rule in DeadlineRule.objects.filter(activity_id__in=old_ids):
        DeadlineRule.objects.create(activity=catalogue.activities[rule.activity_id],
                                    **_fields(rule))
    groups = {}
    for group in AgeGroup.objects.filter(activity_id__in=old_ids).order_by("pk"):
        groups[group.pk] = AgeGroup.objects.create(
            activity=catalogue.activities[group.activity_id], **_fields(group))
    for rule in CapacityRule.objects.filter(activity_id__in=old_ids).order_by("pk"):
        CapacityRule.objects.create(
            activity=catalogue.activities[rule.activity_id], site_id=rule.site_id,
            age_group=groups.get(rule.age_group_id), capacity=rule.capacity)
    days = catalogue.days
    for period in BookingPeriod.objects.filter(activity_id__in=old_ids).order_by(
            "activity_id", "first_day"):
        bounds = days.period(period.first_day, period.last_day)
        if bounds is None:
            result.periods_dropped.append(period)
            continue
        shift = bounds[0] - period.first_day
        new = BookingPeriod.objects.create(
            activity=catalogue.activities[period.activity_id], label=period.label,
            first_day=bounds[0], last_day=bounds[1],
            opens_at=days.moment(period.opens_at, shift),
            closes_at=days.moment(period.closes_at, shift) if period.closes_at else None)
        result.periods.append((period, new))
    with_slots = set(Slot.objects.filter(activity_id__in=old_ids).values_list(
        "activity_id", flat=True).distinct())
    for old_id in sorted(with_slots):
        result.slots += generate_slots(catalogue.activities[old_id])
    return result
