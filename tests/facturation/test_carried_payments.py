"""A paid invoice later corrected: what the family paid moves to the corrective invoice, and
what it paid too much stays visible as money to give back, never counted twice."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from facturation.models import Invoice, Payment
from facturation.queries import family_invoices
from facturation.services import issue_run, prepare_run, record_payment
from reservations.models import Reservation
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import TARIFF, give_qf, weekdays_of
from tests.scenarios.reservations import ReservationFactory, SlotFactory, ready_child

pytestmark = pytest.mark.django_db

LOW_PRICE = TARIFF[0][1]


def test_a_paid_invoice_corrected_carries_its_payment_and_shows_the_refund_due(priced):
    month = datetime.date(priced.school_year.start_date.year, 10, 1)
    wednesdays = weekdays_of(month, 2)
    booker = ready_child(priced)
    give_qf(booker.family, 500)
    reservations = [ReservationFactory(slot=SlotFactory(activity=priced, date=day),
                                       child=booker.child, family=booker.family)
                    for day in wednesdays]
    staff = StaffFactory()
    issue_run(prepare_run(month, staff).pk, staff)
    first = Invoice.objects.get(family=booker.family)
    paid = len(wednesdays) * LOW_PRICE
    assert first.total_cents == paid
    record_payment(first.pk, method="cash", amount_cents=paid, received_at=timezone.now(),
                   reference="", staff_user=staff)

    # One Wednesday turns out not to be due (cancelled in time, recorded late).
    Reservation.objects.filter(pk=reservations[0].pk).update(state="cancelled")
    issue_run(prepare_run(month, staff).pk, staff)

    corrective = Invoice.objects.get(family=booker.family, corrects=first)
    due_now = (len(wednesdays) - 1) * LOW_PRICE
    assert corrective.total_cents == due_now
    assert corrective.balance_cents() == 0  # paid by the carried payment
    carried = Payment.objects.get(invoice=corrective)
    assert (carried.method, carried.amount_cents, carried.carried_from) == (
        Payment.Method.CARRIED, due_now, first)
    first.refresh_from_db()
    assert first.balance_cents() == -LOW_PRICE  # one Wednesday to give back
    # The parent's list says the same as the model, in one query per list.
    balances = {i.pk: i.balance for i in family_invoices(booker.family)}
    assert balances == {first.pk: -LOW_PRICE, corrective.pk: 0}


def test_issued_invoices_cannot_be_deleted_in_bulk_either(priced):
    month = datetime.date(priced.school_year.start_date.year, 10, 1)
    booker = ready_child(priced)
    ReservationFactory(slot=SlotFactory(activity=priced, date=weekdays_of(month, 2)[0]),
                       child=booker.child, family=booker.family)
    staff = StaffFactory()
    issue_run(prepare_run(month, staff).pk, staff)
    with pytest.raises(ValidationError):
        Invoice.objects.filter(family=booker.family).delete()
    assert Invoice.objects.filter(family=booker.family).count() == 1


def test_a_payment_carried_through_two_corrections_counts_once(priced):
    month = datetime.date(priced.school_year.start_date.year, 10, 1)
    wednesdays = weekdays_of(month, 2)
    booker = ready_child(priced)
    give_qf(booker.family, 500)
    reservations = [ReservationFactory(slot=SlotFactory(activity=priced, date=day),
                                       child=booker.child, family=booker.family)
                    for day in wednesdays]
    staff = StaffFactory()
    issue_run(prepare_run(month, staff).pk, staff)
    first = Invoice.objects.get(family=booker.family)
    paid = len(wednesdays) * LOW_PRICE
    record_payment(first.pk, method="cheque", amount_cents=paid, received_at=timezone.now(),
                   reference="", staff_user=staff)

    # Two Wednesdays turn out not to be due, found one after the other: two corrections.
    for reservation in reservations[:2]:
        Reservation.objects.filter(pk=reservation.pk).update(state="cancelled")
        issue_run(prepare_run(month, staff).pk, staff)

    second = Invoice.objects.get(corrects=first)
    third = Invoice.objects.get(corrects=second)
    assert third.total_cents == (len(wednesdays) - 2) * LOW_PRICE
    balances = {i.pk: i.balance for i in family_invoices(booker.family)}
    # The cheque pays the last invoice; each cancelled invoice keeps the Wednesday its
    # correction took off, to give back: two Wednesdays in all, not counted twice.
    assert balances == {first.pk: -LOW_PRICE, second.pk: -LOW_PRICE, third.pk: 0}
    assert sum(balances.values()) == third.total_cents - paid
    assert [i.balance_cents() for i in (first, second, third)] == [-LOW_PRICE, -LOW_PRICE, 0]
    # Paid in full: the service records nothing more on any of them.
    for invoice in (first, second, third):
        with pytest.raises(ValidationError):
            record_payment(invoice.pk, method="cash", amount_cents=1,
                           received_at=timezone.now(), reference="", staff_user=staff)


def test_an_issued_invoice_cannot_be_changed_through_the_model(priced):
    month = datetime.date(priced.school_year.start_date.year, 10, 1)
    booker = ready_child(priced)
    ReservationFactory(slot=SlotFactory(activity=priced, date=weekdays_of(month, 2)[0]),
                       child=booker.child, family=booker.family)
    staff = StaffFactory()
    issue_run(prepare_run(month, staff).pk, staff)
    invoice = Invoice.objects.get(family=booker.family)
    total = invoice.total_cents
    invoice.total_cents = 1
    with pytest.raises(ValidationError):
        invoice.save()
    invoice.refresh_from_db()
    assert invoice.total_cents == total
