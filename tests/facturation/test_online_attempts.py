"""The one state machine of an online attempt, whatever the provider: what the database
holds by itself, and notifications arriving at once (PostgreSQL)."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from facturation.models import Payment, PaymentAttempt
from facturation.providers import Outcome
from facturation.services.online import settle
from ground.models import OutboxMessage
from tests.scenarios.billing import InvoiceFactory

State = PaymentAttempt.State


def attempt_on(invoice, **fields) -> PaymentAttempt:
    fields = {"provider": PaymentAttempt.Provider.DEMO, "state": State.PENDING,
              "amount_cents": invoice.total_cents, **fields}
    return PaymentAttempt.objects.create(invoice=invoice, **fields)


def paid(invoice) -> Outcome:
    return Outcome(result=State.PAID, amount_cents=invoice.total_cents, currency="eur")


@pytest.mark.parametrize("fields", [
    {"state": "bogus"}, {"provider": "paypal"}, {"amount_cents": 0},
    {"state": State.PAID},  # paid without its payment
    {"refund_reason": "montant différent"},  # to refund, yet no money received
])
def test_the_database_refuses_an_impossible_attempt(family, fields):
    invoice = InvoiceFactory(issued=True, family=family, total_cents=1000)
    with pytest.raises(IntegrityError), transaction.atomic():
        attempt_on(invoice, **fields)


def test_one_reference_per_provider_and_one_applied_payment_per_invoice(family):
    invoice = InvoiceFactory(issued=True, family=family, total_cents=1000)
    attempt_on(invoice, provider_reference="op-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        attempt_on(invoice, provider_reference="op-1")
    first, second = attempt_on(invoice), attempt_on(invoice)
    for attempt in (first, second):
        attempt.payment = Payment.objects.create(invoice=invoice, method=Payment.Method.CARD,
                                                 amount_cents=1000, received_at=attempt.created_at)
        attempt.state = State.PAID
    first.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    second.refund_reason = "facture déjà payée"
    second.save()  # kept, to refund


def test_a_final_state_does_not_move_except_to_record_money(family):
    invoice = InvoiceFactory(issued=True, family=family, total_cents=1000)
    attempt = attempt_on(invoice)
    assert settle(attempt.pk, Outcome(result=State.REFUSED)) == State.REFUSED
    assert settle(attempt.pk, Outcome(result=State.ABANDONED)) == "duplicate"
    assert settle(attempt.pk, paid(invoice)) == "paid"  # the provider took the money after all
    assert settle(attempt.pk, Outcome(result=State.EXPIRED)) == "duplicate"
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and invoice.balance_cents() == 0


def at_once(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_notification_twice_at_once_pays_once(transactional_db, guardian):
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=3000)
    attempt = attempt_on(invoice)

    outcomes = at_once(lambda: settle(attempt.pk, paid(invoice)),
                       lambda: settle(attempt.pk, paid(invoice)))

    assert sorted(outcomes) == ["duplicate", "paid"]
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert OutboxMessage.objects.filter(template="payment_received").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_paid_at_once_apply_one_payment_and_flag_the_other(transactional_db,
                                                                    guardian):
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=3000)
    first, second = attempt_on(invoice), attempt_on(invoice)

    outcomes = at_once(lambda: settle(first.pk, paid(invoice)),
                       lambda: settle(second.pk, paid(invoice)))

    assert sorted(outcomes) == ["flagged", "paid"]
    assert invoice.balance_cents() == 0
    flagged = Payment.objects.get(flagged_for_refund=True)
    assert flagged.flag_reason == "facture déjà payée"
