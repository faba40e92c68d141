"""Shared fixtures and helpers for billing tests (others may import them).

The tariff every helper sets, so that tests compute expected figures from it, not from
the code under test (cents; commune price, outside-commune price):

    TARIFF = [(600, 250, 400),     # QF up to 600 €
              (1200, 480, 700),    # QF from 601 to 1 200 €
              (None, 720, 950)]    # above (and families without a valid QF, by default)

- `add_tariff(unit, valid_from, brackets=TARIFF, sibling_reduction_percent=0)`: a `Tariff`
  of an `ActivityUnit` from that day, with its `TariffBracket`s.
- `priced_activity(capacity=20, **activity_kwargs)`: a bookable activity
  (`tests.reservations.conftest.bookable_activity`: deadline rule, booking period open
  since yesterday) with a capacity rule at its site (so `generate_slots` works) and
  `TARIFF` on every unit from the first day of its school year. Activities without
  reservation (`care=True`) get no deadline rule nor booking period.
- `give_qf(family, value, valid_from=None, valid_until=None)`: a `FamilyQuotient` set by a
  staff member, valid on the given days (by default, always).
- `weekdays_of(month, weekday)`: the dates of a month falling on a weekday (0 = Monday).
- `prepare(month)`: `prepare_run` for the month; returns `{family_id: draft Invoice}`.
- `line_rows(invoice)`: the invoice's lines as comparable tuples
  `(child_id, unit label, [ISO dates], quantity, unit price, amount)`, sorted.
- fixture `priced`: a Wednesday leisure centre with `TARIFF` (`priced_activity()`).
"""

import datetime

import pytest

from facturation.models import Tariff, TariffBracket
from facturation.services.billing import prepare_run
from inscriptions.models import Activity, FamilyQuotient
from tests.factories import StaffFactory
from tests.inscriptions.factories import ActivityFactory
from tests.reservations.conftest import bookable_activity
from tests.reservations.factories import CapacityRuleFactory

TARIFF = [(600, 250, 400), (1200, 480, 700), (None, 720, 950)]


def add_tariff(unit, valid_from: datetime.date, brackets=TARIFF,
               sibling_reduction_percent: int = 0) -> Tariff:
    tariff = Tariff.objects.create(unit=unit, valid_from=valid_from,
                                   sibling_reduction_percent=sibling_reduction_percent)
    for qf_max, price, outside in brackets:
        TariffBracket.objects.create(tariff=tariff, qf_max=qf_max, price_cents=price,
                                     outside_price_cents=outside)
    return tariff


def priced_activity(capacity: int = 20, **activity_kwargs) -> Activity:
    if activity_kwargs.get("care"):
        activity = ActivityFactory(**activity_kwargs)
    else:
        activity = bookable_activity(**activity_kwargs)
        CapacityRuleFactory(activity=activity, capacity=capacity)
    for unit in activity.units.all():
        add_tariff(unit, activity.school_year.start_date)
    return activity


def give_qf(family, value: int, valid_from: datetime.date | None = None,
            valid_until: datetime.date | None = None) -> FamilyQuotient:
    return FamilyQuotient.objects.create(
        family=family, value=value, set_by=StaffFactory(),
        valid_from=valid_from or datetime.date(2000, 1, 1),
        valid_until=valid_until or datetime.date(2100, 12, 31))


def weekdays_of(month: datetime.date, weekday: int) -> list[datetime.date]:
    day = month.replace(day=1)
    days = []
    while day.month == month.month:
        if day.weekday() == weekday:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def prepare(month: datetime.date) -> dict:
    run = prepare_run(month)
    return {invoice.family_id: invoice for invoice in run.invoices.all()}


def line_rows(invoice) -> list[tuple]:
    return sorted((line.child_id, line.unit.label, list(line.dates), line.quantity,
                   line.unit_price_cents, line.amount_cents)
                  for line in invoice.lines.select_related("unit"))


@pytest.fixture
def priced(db) -> Activity:
    return priced_activity()
