"""Reminders (beat, daily) for issued invoices past due with something left to pay: e-mailed
to the payer's guardians, once, then again only after the commune's reminder days;
two runs at once send each reminder once."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction

from facturation.models import CreditNote, Invoice, Payment, euros
from facturation.services.reminders import send_overdue_reminders
from facturation.tasks import send_overdue_reminders as reminders_task
from ground.commune import update_commune
from ground.models import OutboxMessage
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.families import FamilyFactory, GuardianFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2031, 3, 12, 9, 45, tzinfo=PARIS)
TODAY = NOW.date()


def days_ago(n) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def invoice(due_days_ago, total_cents=4250, family=None, **kwargs) -> Invoice:
    family = family or FamilyFactory()
    if not family.guardians.exists():
        GuardianFactory(family=family)
    return InvoiceFactory(issued=True, family=family, total_cents=total_cents,
                          due_date=days_ago(due_days_ago), **kwargs)


def reminders():
    return OutboxMessage.objects.filter(template="invoice_reminder").order_by("pk")


@pytest.mark.django_db
def test_unpaid_invoices_past_due_are_reminded_once(settings):
    update_commune(invoice_reminder_days=15)
    with time_machine.travel(NOW, tick=False):
        household = FamilyFactory(name="Famille Riou")
        mother, father = GuardianFactory(family=household), GuardianFactory(family=household)
        late = invoice(10, total_cents=6000, family=household)
        Payment.objects.create(invoice=late, method=Payment.Method.CHEQUE, amount_cents=2500,
                               received_at=NOW)
        long_ago = invoice(40, reminder_sent_at=NOW - datetime.timedelta(days=16))
        # Not reminded: due today or later, paid, cancelled by a credit note, reminded
        # recently, still a draft.
        invoice(0)
        invoice(-3)
        paid = invoice(20)
        Payment.objects.create(invoice=paid, method=Payment.Method.CASH,
                               amount_cents=paid.total_cents, received_at=NOW)
        credited = invoice(20)
        CreditNote.objects.create(invoice=credited, number="AV-2031-000001",
                                  amount_cents=credited.total_cents, reason="Recalcul",
                                  issued_at=NOW)
        recent = invoice(30, reminder_sent_at=NOW - datetime.timedelta(days=14))
        InvoiceFactory(family=household)  # a draft

        assert send_overdue_reminders() == 2
        assert send_overdue_reminders() == 0  # run twice: nothing more

    first, second = reminders()
    assert {tuple(sorted(m.to)) for m in (first, second)} == {
        tuple(sorted([mother.user.email, father.user.email])),
        tuple(long_ago.family.guardian_emails())}
    [message] = [m for m in (first, second) if mother.user.email in m.to]
    assert late.number in message.subject
    assert f"Il reste {euros(6000 - 2500)} à payer." in message.body_text
    assert "2 mars 2031" in message.body_text  # the due date, in words
    assert "auprès du service" in message.body_text  # test_payment_ways.py

    for reminded in (late, long_ago):
        reminded.refresh_from_db()
        assert reminded.reminder_sent_at == NOW
    recent.refresh_from_db()
    assert recent.reminder_sent_at == NOW - datetime.timedelta(days=14)


@pytest.mark.django_db
def test_reminded_again_after_the_configured_delay(settings):
    update_commune(invoice_reminder_days=5)
    with time_machine.travel(NOW, tick=False):
        late = invoice(3)
        assert reminders_task() == 1
    with time_machine.travel(NOW + datetime.timedelta(days=4), tick=False):
        assert reminders_task() == 0
    with time_machine.travel(NOW + datetime.timedelta(days=5), tick=False):
        assert reminders_task() == 1
        Payment.objects.create(invoice=late, method=Payment.Method.TRANSFER,
                               amount_cents=late.total_cents, received_at=NOW)
    with time_machine.travel(NOW + datetime.timedelta(days=20), tick=False):
        assert reminders_task() == 0  # paid: no more reminders
    assert reminders().count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_invoice_another_run_holds_is_skipped_not_sent_twice():
    with time_machine.travel(NOW, tick=False):
        held, free = invoice(10), invoice(10)
    locked, release = threading.Event(), threading.Event()

    def other_run():
        try:
            with transaction.atomic():
                list(Invoice.objects.select_for_update().filter(pk=held.pk))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_run)
    thread.start()
    assert locked.wait(10)
    try:
        with time_machine.travel(NOW, tick=False):
            assert send_overdue_reminders() == 1  # the held one is skipped, not waited for
    finally:
        release.set()
        thread.join()
    assert [m.to for m in reminders()] == [free.family.guardian_emails()]
    with time_machine.travel(NOW, tick=False):
        assert send_overdue_reminders() == 1  # its turn, once
        assert send_overdue_reminders() == 0
    assert sorted(m.to[0] for m in reminders()) == sorted(
        [held.family.guardian_emails()[0], free.family.guardian_emails()[0]])
