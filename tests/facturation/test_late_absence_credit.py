"""An absence accepted after its day was invoiced: the invoice is credited and a corrective one
issued at once, and the acceptance e-mail says so instead of « ne vous sera pas facturée »
(issue 23, item 2). Reservations call facturation through reservations.extensions only."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from facturation.models import BillingRun, CreditNote, Invoice
from facturation.services.billing import issue_run, prepare_run
from ground.models import OutboxMessage
from reservations.models import AbsenceJustification, Reservation
from tests.helpers import flash_messages
from tests.scenarios.accounts import StaffFactory, UserFactory, login
from tests.scenarios.billing import (
    TARIFF,
    book,
    issued_invoice,
    month_of,
    pay,
    priced_activity,
    weekdays_of,
)
from tests.scenarios.families import ChildFactory

pytestmark = pytest.mark.django_db

TOP_PRICE = TARIFF[-1][1]  # families without a quotient pay the top bracket


@pytest.fixture
def activity(db):
    return priced_activity(name="Mercredis des Tilleuls")


@pytest.fixture
def lea(family):
    return ChildFactory(family=family, first_name="Léa")


def justify(child, day) -> AbsenceJustification:
    reservation = Reservation.objects.get(child=child, slot__date=day)
    return AbsenceJustification.objects.create(reservation=reservation, reason="illness",
                                               submitted_by=UserFactory())


def accept_in_admin(justification):
    client = login(StaffFactory())
    return client.post(reverse("admin:reservations_absencejustification_accept",
                               args=[justification.pk]), follow=True)


def accepted_email() -> str:
    return OutboxMessage.objects.get(template="absence_justification_accepted").body_text


def test_accepted_after_issue_the_invoice_is_credited_and_corrected(activity, lea, family):
    invoice = issued_invoice(activity, lea)
    wednesdays = weekdays_of(month_of(activity, 10), 2)
    pay(invoice, 3 * TOP_PRICE)  # paid in part: the payment follows the corrective invoice
    justification = justify(lea, wednesdays[1])

    response = accept_in_admin(justification)

    assert any("accept" in m for m in flash_messages(response))
    [credit] = CreditNote.objects.filter(invoice=invoice)
    assert credit.amount_cents == invoice.total_cents == len(wednesdays) * TOP_PRICE
    assert "Léa" in credit.reason
    corrective = Invoice.objects.get(corrects=invoice)
    assert corrective.state == Invoice.State.ISSUED and corrective.number
    assert corrective.total_cents == (len(wednesdays) - 1) * TOP_PRICE
    [line] = corrective.lines.all()
    assert wednesdays[1].isoformat() not in line.dates and len(line.dates) == len(wednesdays) - 1
    assert corrective.paid_cents() == 3 * TOP_PRICE

    text = accepted_email()
    assert "un avoir est établi" in text and invoice.number in text
    assert "ne vous sera pas facturée" not in text
    issued = OutboxMessage.objects.filter(template="invoice_issued").order_by("pk").last()
    assert credit.number in issued.body_text and corrective.number in issued.body_text


def test_accepted_before_billing_the_day_is_simply_not_billed(activity, lea, family):
    month = month_of(activity, 10)
    wednesdays = weekdays_of(month, 2)
    book(activity, lea, wednesdays)
    accept_in_admin(justify(lea, wednesdays[0]))

    text = accepted_email()
    assert "ne vous sera pas facturée" in text and "avoir" not in text
    assert not CreditNote.objects.exists()
    run = prepare_run(month)
    [invoice] = run.invoices.all()
    assert invoice.total_cents == (len(wednesdays) - 1) * TOP_PRICE


def test_a_day_on_no_issued_invoice_is_not_credited(activity, lea, family):
    issued_invoice(activity, lea, month=10)  # October billed; November not yet
    november = weekdays_of(month_of(activity, 11), 2)
    book(activity, lea, november)
    accept_in_admin(justify(lea, november[0]))

    assert "ne vous sera pas facturée" in accepted_email()
    assert not CreditNote.objects.exists()


def test_a_draft_of_that_family_is_dropped_and_never_credits_twice(activity, lea, family):
    invoice = issued_invoice(activity, lea)
    month = month_of(activity, 10)
    wednesdays = weekdays_of(month, 2)
    extra = ChildFactory(family=family, first_name="Hugo")
    book(activity, extra, wednesdays[:1])  # a change after issue: the draft corrects it
    draft = prepare_run(month)
    assert draft.invoices.get().corrects == invoice

    accept_in_admin(justify(lea, wednesdays[1]))

    assert CreditNote.objects.filter(invoice=invoice).count() == 1
    assert not draft.invoices.exists()  # drafted against the credited invoice
    issue_run(draft.pk, StaffFactory())
    assert CreditNote.objects.count() == 1
    draft.refresh_from_db()
    assert draft.state == BillingRun.State.ISSUED


def test_a_draft_correcting_an_invoice_credited_meanwhile_is_not_issued(activity, lea, family):
    invoice = issued_invoice(activity, lea)
    month = month_of(activity, 10)
    book(activity, ChildFactory(family=family, first_name="Hugo"), weekdays_of(month, 2)[:1])
    draft = prepare_run(month)
    assert draft.invoices.get().corrects == invoice
    CreditNote.objects.create(invoice=invoice, number="AV-manuel", issued_at=invoice.issued_at,
                              amount_cents=invoice.total_cents, reason="Avoir manuel")

    with pytest.raises(ValidationError, match="préparez à nouveau le mois"):
        issue_run(draft.pk, StaffFactory())

    assert CreditNote.objects.filter(invoice=invoice).count() == 1
    draft.refresh_from_db()
    assert draft.state == BillingRun.State.DRAFT


def test_the_database_refuses_a_second_credit_note_for_an_invoice(activity, lea):
    invoice = issued_invoice(activity, lea)
    CreditNote.objects.create(invoice=invoice, number="AV-1", issued_at=invoice.issued_at,
                              amount_cents=invoice.total_cents, reason="Avoir")
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditNote.objects.create(invoice=invoice, number="AV-2", issued_at=invoice.issued_at,
                                  amount_cents=invoice.total_cents, reason="Avoir")
