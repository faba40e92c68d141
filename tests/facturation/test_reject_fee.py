"""The reject fee of a returned debit (« Frais à facturer », docs/prelevement.md): a line of
the household's next invoice, billed once however often the month is prepared, shown on the
invoice page and PDF with its wording; no fee set, nothing billed."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from facturation.models import FamilyCharge, Invoice, euros
from facturation.pdf import render_invoice_pdf_bytes
from facturation.services import direct_debit as services
from ground.models import OutboxMessage
from tests.helpers import pdf_text, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import (
    bill,
    book,
    line_rows,
    month_of,
    prepare,
    priced_activity,
    weekdays_of,
)
from tests.scenarios.direct_debit import mandate_for, offer_direct_debit
from tests.scenarios.families import ChildFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def on(day: datetime.date):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(9), PARIS))


def rejected_october_debit(family, fee_cents: int):
    """October billed on 2 November to a household with a mandate, debited, and the debit
    returned by the bank in December; its December days booked. Returns (activity, the
    October invoice, December)."""
    offer_direct_debit(reject_fee_cents=fee_cents)
    activity = priced_activity()
    child = ChildFactory(family=family)
    october, december = month_of(activity, 10), month_of(activity, 12)
    book(activity, child, weekdays_of(october, 2) + weekdays_of(december, 2))
    with on(october.replace(month=11, day=2)):
        mandate_for(family)
        invoice = bill(october)[family.pk]
        batch = services.prepare_batch(datetime.date.today() + datetime.timedelta(days=30),
                                       StaffFactory())
    with on(december.replace(day=10)):
        services.record_reject(batch.items.get().pk, "AM04", StaffFactory())
    return activity, invoice, december


def charge_rows(invoice) -> list[tuple]:
    return list(invoice.charge_lines.values_list("label", "amount_cents"))


def test_the_fee_is_a_line_of_the_next_invoice_once(parent_client, family, staff_user):
    activity, october_invoice, december = rejected_october_debit(family, 750)
    label = f"Frais de rejet de prélèvement (facture {october_invoice.number})"
    mail = " ".join(OutboxMessage.objects.get(template="debit_rejected").body_text.split())
    assert "7,50 €" in mail and "prochaine facture" in mail

    with on(december.replace(year=december.year + 1, month=1, day=2)):
        draft = prepare(december)[family.pk]
        days = sum(row[-1] for row in line_rows(draft))
        assert charge_rows(draft) == [(label, 750)]
        assert draft.total_cents == days + 750
        again = prepare(december)[family.pk]  # the draft prepared again
        assert charge_rows(again) == [(label, 750)]
        assert not Invoice.objects.filter(pk=draft.pk).exists()
        invoice = bill(december)[family.pk]
        assert charge_rows(invoice) == [(label, 750)] and invoice.total_cents == days + 750
        # Prepared again after issue: the issued invoice still matches, nothing new.
        assert family.pk not in prepare(december)
    with on(december.replace(year=december.year + 1, month=2, day=2)):
        january = month_of(activity, 12).replace(year=december.year + 1, month=1)
        assert not Invoice.objects.filter(month=january, charge_lines__isnull=False).exists()
        assert family.pk not in prepare(january)
    assert FamilyCharge.objects.get().invoice_lines.count() == 1
    assert Invoice.objects.filter(charge_lines__isnull=False).count() == 1

    page = visible_text(parent_client.get(reverse("facturation:invoice", args=[invoice.pk])))
    assert "Autres frais" in page and label in page and euros(750) in page
    pdf = " ".join(pdf_text(render_invoice_pdf_bytes(invoice)).split())
    assert label in pdf and euros(invoice.total_cents) in pdf
    # Staff read the fee to bill and the invoice's line in the admin, never change them.
    staff = Client()
    staff.force_login(staff_user)
    listing = visible_text(staff.get(reverse("admin:facturation_familycharge_changelist")))
    assert label in listing
    assert label in visible_text(staff.get(reverse("admin:facturation_invoice_change",
                                                   args=[invoice.pk])))
    assert staff.get(reverse("admin:facturation_familycharge_add")).status_code == 403


def test_without_a_fee_nothing_is_billed(parent_client, family):
    _activity, _october_invoice, december = rejected_october_debit(family, 0)
    assert "frais" not in OutboxMessage.objects.get(template="debit_rejected").body_text
    with on(december.replace(year=december.year + 1, month=1, day=2)):
        invoice = bill(december)[family.pk]
    assert not FamilyCharge.objects.exists()
    assert charge_rows(invoice) == []
    assert invoice.total_cents == sum(row[-1] for row in line_rows(invoice))
    page = visible_text(parent_client.get(reverse("facturation:invoice", args=[invoice.pk])))
    assert "Autres frais" not in page and "rejet" not in page
