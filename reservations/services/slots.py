"""Generating an activity's slots from its calendar, units and capacities; closure days."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inscriptions.calendar import activity_days
from inscriptions.models import Activity, ClosureDay

from ..models import Slot
from .booking import close_slot


@transaction.atomic
def generate_slots(activity: Activity, first: date | None = None,
                   last: date | None = None) -> int:
    """Create the missing slots (running it again adds only what is new); returns how many."""
    if not activity.needs_reservation:
        raise ValidationError(_("« %(activity)s » se fait sans réservation : pas de créneaux, "
                                "la présence est pointée.") % {"activity": activity.name})
    units = list(activity.units.all())
    rules = list(activity.capacity_rules.all())
    if not units:
        raise ValidationError(_("Ajoutez d'abord les unités de « %(activity)s ».") % {
            "activity": activity.name})
    if not rules:
        raise ValidationError(_("Indiquez d'abord les places par lieu de « %(activity)s ».") % {
            "activity": activity.name})
    days = activity_days(activity, first, last)
    existing = set(Slot.objects.filter(activity=activity, date__in=days).values_list(
        "unit_id", "site_id", "age_group_id", "date"))
    new = [
        Slot(activity=activity, unit=unit, site_id=rule.site_id, age_group_id=rule.age_group_id,
             date=day, capacity=rule.capacity)
        for day in days for unit in units for rule in rules
        if (unit.pk, rule.site_id, rule.age_group_id, day) not in existing
    ]
    Slot.objects.bulk_create(new, batch_size=1000)
    return len(new)


@transaction.atomic
def apply_closure(closure: ClosureDay, staff_user) -> int:
    """A closure day added after the slots exist closes them and tells the families."""
    slots = Slot.objects.filter(date=closure.date, closed=False,
                                activity__school_year_id=closure.school_year_id)
    if closure.activity_id:
        slots = slots.filter(activity_id=closure.activity_id)
    ids = list(slots.order_by("pk").values_list("pk", flat=True))
    for slot_id in ids:
        close_slot(slot_id, closure.label, staff_user)
    return len(ids)
