"""Billing as staff do it: tariffs, quotients, runs, invoices and payments.

The tariff every helper sets, so that tests compute expected figures from it, not from
the code under test (cents; commune price, outside-commune price):

    TARIFF = [(600, 250, 400),     # QF up to 600 €
              (1200, 480, 700),    # QF from 601 to 1 200 €
              (None, 720, 950)]    # above (and families without a valid QF, by default)

- `BillingRunFactory`, `InvoiceFactory`: a run and an invoice, issued with the `issued`
  trait (`InvoiceFactory(issued=True, family=family, total_cents=4250)`). Each run gets its
  own month, so that factories never collide with the one-draft-per-month constraint;
  issued numbers are taken from a range (<year>-9xxxxx) that the real gap-free sequence of
  `issue_run` does not reach in a test.
- `add_tariff(unit, valid_from, brackets=TARIFF, sibling_reduction_percent=0)`: a `Tariff`
  of an `ActivityUnit` from that day, with its `TariffBracket`s.
- `priced_activity(capacity=20, **activity_kwargs)`: a bookable activity
  (`tests.scenarios.reservations.bookable_activity`) with a capacity rule at its site (so
  that `generate_slots` works) and `TARIFF` on every unit from the first day of its school
  year. Activities without reservation (`care=True`) get no deadline rule nor booking period.
- `give_qf(family, value, valid_from=None, valid_until=None)`: a `FamilyQuotient` set by a
  staff member, valid on the given days (by default, always).
- `weekdays_of(month, weekday)`: the dates of a month falling on a weekday (0 = Monday).
- `prepare(month)`: `prepare_run` for the month; returns `{family_id: draft Invoice}`.
- `line_rows(invoice)`: the invoice's lines as comparable tuples
  `(child_id, unit label, [ISO dates], quantity, unit price, amount)`, sorted.

Invoices as staff make them: `month_of(activity, month)`, `book(activity, child, days)`
(reservations straight in the database), `bill(month)` (prepared and issued),
`issued_invoice(activity, child, month=10)`, `pay(invoice, …)`, `pay_url(invoice)`.
"""

import datetime

import factory
from django.urls import reverse
from django.utils import timezone

from facturation.models import BillingRun, Invoice, Payment, Tariff, TariffBracket
from facturation.services.billing import issue_run, prepare_run
from ground.commune import commune
from inscriptions.models import Activity, FamilyQuotient
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.families import FamilyFactory
from tests.scenarios.reservations import (
    CapacityRuleFactory,
    ReservationFactory,
    SlotFactory,
    bookable_activity,
)

TARIFF = [(600, 250, 400), (1200, 480, 700), (None, 720, 950)]


def _month(n: int) -> datetime.date:
    """A distinct first-of-month per run, going back from this month."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - n % 600
    return datetime.date(index // 12, index % 12 + 1, 1)


class BillingRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingRun

    month = factory.Sequence(_month)
    prepared_at = factory.LazyFunction(timezone.now)

    class Params:
        issued = factory.Trait(
            state=BillingRun.State.ISSUED,
            issued_at=factory.LazyFunction(timezone.now),
        )


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    run = factory.SubFactory(BillingRunFactory)
    family = factory.SubFactory(FamilyFactory)
    month = factory.SelfAttribute("run.month")
    total_cents = 4250

    class Params:
        issued = factory.Trait(
            run=factory.SubFactory(BillingRunFactory, issued=True),
            state=Invoice.State.ISSUED,
            number=factory.Sequence(
                lambda n: f"{timezone.localdate().year}-{900000 + n:06d}"),
            issued_at=factory.LazyFunction(timezone.now),
            due_date=factory.LazyFunction(
                lambda: timezone.localdate()
                + datetime.timedelta(days=commune().invoice_due_days)),
        )


# Tariffs and quotients -------------------------------------------------------------------

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


# Runs and invoices -----------------------------------------------------------------------

def prepare(month: datetime.date) -> dict:
    run = prepare_run(month)
    return {invoice.family_id: invoice for invoice in run.invoices.all()}


def line_rows(invoice) -> list[tuple]:
    return sorted((line.child_id, line.unit.label, list(line.dates), line.quantity,
                   line.unit_price_cents, line.amount_cents)
                  for line in invoice.lines.select_related("unit"))


def month_of(activity, month: int) -> datetime.date:
    """The first day of a month of the activity's school year (September to December)."""
    return datetime.date(activity.school_year.start_date.year, month, 1)


def book(activity, child, days) -> None:
    for day in days:
        slot = (activity.slots.filter(date=day).first()
                or SlotFactory(activity=activity, date=day))
        ReservationFactory(slot=slot, child=child, family=child.family)


def bill(month: datetime.date) -> dict:
    """Prepare and issue the month; the issued invoices by family id."""
    run = prepare_run(month)
    issue_run(run.pk, StaffFactory())
    return {i.family_id: i for i in Invoice.objects.filter(run=run, state="issued")}


def issued_invoice(activity, child, month: int = 10) -> Invoice:
    """The child's Wednesdays of that month booked, billed and issued."""
    first = month_of(activity, month)
    book(activity, child, weekdays_of(first, 2))
    return bill(first)[child.family_id]


def pay(invoice, amount_cents=None, method=Payment.Method.CHEQUE) -> Payment:
    return Payment.objects.create(invoice=invoice, method=method,
                                  amount_cents=amount_cents or invoice.total_cents,
                                  received_at=timezone.now())


def pay_url(invoice) -> str:
    return reverse("facturation:pay", args=[invoice.pk])
