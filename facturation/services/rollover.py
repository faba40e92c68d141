"""Next year in one click (issue 25): a school year's catalogue copied into the next one, as a
draft staff review, then publish. Nothing of the year copied changes.

Each app copies what it owns, as a service of its own: inscriptions the year, activities,
units, sites and closure days (inscriptions/services/rollover.py, with the map of days on the
zone's school calendar), reservations the deadline rules, age groups, capacities, booking
periods and slots (reservations/services/rollover.py), facturation the tariffs and billing
rules (below). The orchestration lives here, in the highest app concerned, rather than in the
roof: it is a service like any other (one transaction, callable from the admin, a task or a
test), and facturation may import every app whose step it calls, while none of them may
import it. The admin's action (facturation/admin/rollover.py) only calls `roll_over`."""

from dataclasses import dataclass

from django.db import transaction

from inscriptions.models import Activity, ActivityUnit, ClosureDay, SchoolYear
from inscriptions.services.rollover import (
    CatalogueCopy,
    check_can_roll_over,
    copy_catalogue,
    next_year_label,
)
from reservations.models import BookingPeriod
from reservations.services.rollover import BookingCopy, copy_booking_setup

from ..models import BillingRule, Tariff, TariffBracket


@dataclass
class Rollover:
    catalogue: CatalogueCopy
    booking: BookingCopy
    tariffs: int

    @property
    def new_year(self) -> SchoolYear:
        return self.catalogue.new_year


@transaction.atomic
def copy_pricing(catalogue: CatalogueCopy) -> int:
    """Each copied unit gets the tariff in force at the end of the old year, from the new
    year's first day, with its brackets; each activity its billing rule. Returns the number of
    tariffs."""
    count = 0
    last_day = catalogue.old_year.end_date
    tariffs = (Tariff.objects.filter(unit_id__in=list(catalogue.units), valid_from__lte=last_day)
               .order_by("unit_id", "-valid_from").prefetch_related("brackets"))
    seen = set()
    for tariff in tariffs:
        if tariff.unit_id in seen:
            continue  # an older tariff, replaced before the year ended
        seen.add(tariff.unit_id)
        new = Tariff.objects.create(unit=catalogue.units[tariff.unit_id],
                                    valid_from=catalogue.new_year.start_date,
                                    sibling_reduction_percent=tariff.sibling_reduction_percent)
        TariffBracket.objects.bulk_create([
            TariffBracket(tariff=new, qf_max=b.qf_max, price_cents=b.price_cents,
                          outside_price_cents=b.outside_price_cents)
            for b in tariff.brackets.all()])
        count += 1
    for rule in BillingRule.objects.filter(activity_id__in=list(catalogue.activities)):
        BillingRule.objects.create(activity=catalogue.activities[rule.activity_id],
                                   bill_unjustified_absence=rule.bill_unjustified_absence,
                                   bill_late_cancellation=rule.bill_late_cancellation,
                                   bill_in_advance=rule.bill_in_advance)
    return count


@transaction.atomic
def roll_over(year_id: int) -> Rollover:
    """Copy the year's catalogue into the next school year, created unpublished."""
    year = SchoolYear.objects.select_for_update().get(pk=year_id)
    catalogue = copy_catalogue(year)
    booking = copy_booking_setup(catalogue)
    return Rollover(catalogue=catalogue, booking=booking, tariffs=copy_pricing(catalogue))


def preview(year: SchoolYear) -> dict:
    """What `roll_over` would copy, for the confirmation page (reads only; raises the
    ValidationError `roll_over` would)."""
    check_can_roll_over(year)
    activities = Activity.objects.filter(school_year=year)
    return {
        "year": year, "label": next_year_label(year),
        "activities": list(activities.order_by("kind", "name").prefetch_related("sites", "units")),
        "units": ActivityUnit.objects.filter(activity__school_year=year).count(),
        "periods": BookingPeriod.objects.filter(activity__school_year=year).count(),
        "closures": ClosureDay.objects.filter(school_year=year).count(),
        "tariffs": Tariff.objects.filter(unit__activity__school_year=year).values(
            "unit_id").distinct().count(),
    }
