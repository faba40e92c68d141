"""Gap-free, unique invoice numbers on PostgreSQL (DESIGN.md, invariant 4), with real
threads, each on its own database connection, issuing runs at the same instant:

- two runs (two months) issued at once: numbers YYYY-000001…N, no gap, no duplicate, each
  run a consecutive block (the sequence row stays locked until the issuing commit);
- a run whose issue fails (its e-mail cannot be written) rolls back and gives its numbers
  back: the other run and the next issue continue without a gap;
- a run with corrective invoices (credit note numbers, then invoice numbers) issued while
  another takes an invoice number first, then a credit note number: no deadlock.

The numbering year is the issue year in Paris (`timezone.localdate(now)`)."""

import contextlib
import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from facturation.models import BillingRun, CreditNote, Invoice, NumberSequence
from facturation.services import billing
from facturation.services.billing import issue_run, prepare_run
from ground.models import OutboxMessage
from tests.helpers import together
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import priced_activity, weekdays_of
from tests.scenarios.families import ChildFactory, GuardianFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
FAMILIES = 6


def book(activity, month, family, days=2):
    child = ChildFactory(family=family)
    for day in weekdays_of(month, 2)[:days]:
        slot = (activity.slots.filter(date=day).first()
                or SlotFactory(activity=activity, date=day, capacity=50))
        ReservationFactory(slot=slot, child=child)
    return child


class Months:
    def __init__(self):
        with transaction.atomic():  # one commit rather than hundreds
            self.activity = priced_activity()
            self.year = self.activity.school_year.start_date.year
            self.october = datetime.date(self.year, 10, 1)
            self.november = datetime.date(self.year, 11, 1)
            self.staff = StaffFactory()
        self.issue_time = datetime.datetime(self.year, 12, 2, 9, 0, tzinfo=PARIS)

    def families(self, month, count, prefix="Famille"):
        with transaction.atomic():
            families = [GuardianFactory(family__name=f"{prefix} {month:%m}-{n}").family
                        for n in range(count)]
            for family in families:
                book(self.activity, month, family)
            return families


def issue_together(runs, staff, now) -> dict:
    """Issue the runs from as many threads at the same instant; each run's error or None."""
    errors = together(lambda run: issue_run(run.pk, staff, now=now), runs)
    return {run.pk: error for run, error in zip(runs, errors, strict=True)}


def numbers(year, run=None) -> list[int]:
    invoices = Invoice.objects.filter(state=Invoice.State.ISSUED)
    if run is not None:
        invoices = invoices.filter(run=run)
    found = sorted(invoices.values_list("number", flat=True))
    assert all(n.startswith(f"{year}-") and len(n) == len(f"{year}-000001") for n in found)
    return [int(n.split("-")[1]) for n in found]


def consecutive(values) -> bool:
    return values == list(range(values[0], values[0] + len(values)))


def test_two_runs_issued_at_once_number_without_gap_or_duplicate():
    months = Months()
    months.families(months.october, FAMILIES)
    months.families(months.november, FAMILIES)
    runs = [prepare_run(months.october), prepare_run(months.november)]

    errors = issue_together(runs, months.staff, months.issue_time)

    assert errors == {run.pk: None for run in runs}
    assert numbers(months.year) == list(range(1, 2 * FAMILIES + 1))
    for run in runs:
        assert consecutive(numbers(months.year, run))
    assert NumberSequence.objects.get(kind="invoice", year=months.year).last == 2 * FAMILIES
    assert set(BillingRun.objects.values_list("state", flat=True)) == {"issued"}


def test_a_failed_issue_gives_its_numbers_back(monkeypatch):
    months = Months()
    months.families(months.october, FAMILIES)
    months.families(months.november, FAMILIES)
    failing, passing = prepare_run(months.october), prepare_run(months.november)
    real_write = billing.write_to_family

    def write_to_family(template, family, context):
        if context["invoice"] is not None and context["invoice"].month == failing.month:
            raise RuntimeError("the e-mail of this invoice cannot be written")
        return real_write(template, family, context)

    monkeypatch.setattr(billing, "write_to_family", write_to_family)

    errors = issue_together([failing, passing], months.staff, months.issue_time)

    assert isinstance(errors[failing.pk], RuntimeError) and errors[passing.pk] is None
    failing.refresh_from_db()
    assert failing.state == BillingRun.State.DRAFT
    assert not failing.invoices.exclude(number=None).exists()
    assert numbers(months.year) == list(range(1, FAMILIES + 1))
    assert OutboxMessage.objects.filter(template="invoice_issued").count() == FAMILIES

    # Once the fault is gone, the same run continues the numbering without a gap.
    monkeypatch.setattr(billing, "write_to_family", real_write)
    issue_run(failing.pk, months.staff, now=months.issue_time + datetime.timedelta(hours=1))

    assert numbers(months.year) == list(range(1, 2 * FAMILIES + 1))
    assert numbers(months.year, failing) == list(range(FAMILIES + 1, 2 * FAMILIES + 1))


def test_credit_notes_and_invoices_numbered_at_once_do_not_deadlock(monkeypatch):
    """Run X corrects an invoice (credit note number, then invoice number); run Y first
    numbers a new invoice, then corrects another (invoice number, then credit note number).
    Each thread pauses after its first number so that both hold one sequence: without a
    fixed locking order, PostgreSQL would kill one issue as a deadlock."""
    months = Months()
    activity, staff = months.activity, months.staff
    [corrected_in_x] = months.families(months.october, 1, prefix="Famille B")
    [corrected_in_y] = months.families(months.november, 1, prefix="Famille C")
    issue_run(prepare_run(months.october).pk, staff, now=months.issue_time)
    issue_run(prepare_run(months.november).pk, staff, now=months.issue_time)
    with transaction.atomic():  # days added after issue, and a family billed late
        book(activity, months.october, corrected_in_x, days=3)
        book(activity, months.november, corrected_in_y, days=1)
    [new_in_y] = months.families(months.november, 1, prefix="Famille A")
    run_x, run_y = prepare_run(months.october), prepare_run(months.november)
    assert {i.family_id: i.corrects_id is not None for i in run_x.invoices.all()} == {
        corrected_in_x.pk: True}
    assert {i.family_id: i.corrects_id is not None for i in run_y.invoices.all()} == {
        new_in_y.pk: False, corrected_in_y.pk: True}

    real_next_number = billing.next_number
    pause = threading.Barrier(2)
    seen = threading.local()

    def next_number(kind, year):
        number = real_next_number(kind, year)
        if not getattr(seen, "first", False):
            seen.first = True
            # Broken: the other thread waits for our lock; go on.
            with contextlib.suppress(threading.BrokenBarrierError):
                pause.wait(timeout=3)
        return number

    monkeypatch.setattr(billing, "next_number", next_number)

    errors = issue_together([run_x, run_y], staff, months.issue_time + datetime.timedelta(1))

    assert errors == {run_x.pk: None, run_y.pk: None}
    assert numbers(months.year) == [1, 2, 3, 4, 5]
    credit_numbers = sorted(CreditNote.objects.values_list("number", flat=True))
    assert credit_numbers == [f"AV-{months.year}-000001", f"AV-{months.year}-000002"]
