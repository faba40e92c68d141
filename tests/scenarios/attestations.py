"""Scenario builders for attestations and the CAF's hours (importable by any test).

Everything happens in the calendar year `YEAR` (2025), inside the school year 2024-2025, so
that it is a finished year whatever today's date. Invoices are built line by line, with the
structure the billing run gives them (tests/facturation/test_billing_*.py check that run), so
that each test states the amounts it expects and why.

- `catalogue()`: a school year 2024-2025 with a Wednesday leisure centre (unit « Journée »,
  8 h, 20 % food), before/after-school care (« Matin » 1 h, « Soir » 2 h 30, no food) and a
  canteen (« Repas », food by default: 100 %). Returns a `Catalogue`.
- `issued(family, lines, month)`: an invoice issued on the 28th of the month, whose lines are
  `(child, unit, quantity, unit_price_cents)`; the total is their sum.
- `paid(invoice, amount_cents, day, method=CHEQUE, hour=12)`: a payment received on that day
  at that Paris hour.
- `present(child, unit, day, arrived=None, left=None, status=PRESENT, site=None)`: a register
  line.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from facturation.models import Invoice, InvoiceLine, Payment
from inscriptions.models import Activity, ActivityUnit
from reservations.models import Attendance
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.enrolments import ActivityFactory, SchoolYearFactory, SiteFactory

YEAR = 2025


@dataclass
class Catalogue:
    alsh: Activity
    care: Activity
    canteen: Activity
    day: ActivityUnit      # ALSH « Journée »: 8 h, 20 % food
    morning: ActivityUnit  # care « Matin »: 1 h
    evening: ActivityUnit  # care « Soir »: 2.5 h
    meal: ActivityUnit     # canteen « Repas »: food by default


def catalogue() -> Catalogue:
    year = SchoolYearFactory(start_year=YEAR - 1)
    site = SiteFactory(name="École des Tilleuls")
    alsh = ActivityFactory(school_year=year, name="Mercredis", sites=[site])
    care = ActivityFactory(school_year=year, care=True, name="Périscolaire", sites=[site])
    canteen = ActivityFactory(school_year=year, canteen=True, name="Cantine", sites=[site])
    day = alsh.units.get()
    day.food_percent, day.duration_hours = 20, Decimal("8")
    day.save()
    morning, evening = care.units.order_by("position")
    morning.duration_hours, evening.duration_hours = Decimal("1"), Decimal("2.5")
    morning.save()
    evening.save()
    return Catalogue(alsh, care, canteen, day, morning, evening, canteen.units.get())


def issued(family, lines, month: int, year: int = YEAR) -> Invoice:
    invoice = InvoiceFactory(issued=True, family=family, month=datetime.date(year, month, 1),
                             issued_at=paris(datetime.date(year, month, 28)),
                             total_cents=sum(q * p for _c, _u, q, p in lines))
    for child, unit, quantity, price in lines:
        InvoiceLine.objects.create(invoice=invoice, child=child, activity=unit.activity,
                                   unit=unit, dates=[], quantity=quantity,
                                   unit_price_cents=price, amount_cents=quantity * price)
    return invoice


def paris(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def paid(invoice, amount_cents: int, day: datetime.date, method=Payment.Method.CHEQUE,
         hour: int = 12, minute: int = 0, **fields) -> Payment:
    return Payment.objects.create(invoice=invoice, method=method, amount_cents=amount_cents,
                                  received_at=paris(day, hour, minute), **fields)


def present(child, unit, day, arrived=None, left=None, status=Attendance.Status.PRESENT,
            site=None, reservation=None) -> Attendance:
    return Attendance.objects.create(
        child=child, activity=unit.activity, unit=unit,
        site=site or unit.activity.sites.first(), date=day, status=status,
        arrived_at=arrived, left_at=left, recorded_by=StaffFactory(), reservation=reservation)
