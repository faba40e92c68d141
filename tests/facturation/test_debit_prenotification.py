"""Pre-notification: the invoice of a household with an active mandate says, in its e-mail and
its PDF, the amount and the day it is debited, at least the commune's notice after it was
issued; a household without a mandate reads nothing about direct debit
(docs/prelevement.md)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from facturation.models import euros
from facturation.pdf import render_invoice_pdf_bytes
from ground.commune import update_commune
from ground.models import OutboxMessage
from tests.helpers import pdf_text, visible_text
from tests.scenarios.billing import issued_invoice, priced_activity
from tests.scenarios.direct_debit import mandate_for, offer_direct_debit
from tests.scenarios.families import ChildFactory

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("notice_days", [14, 45])
def test_the_invoice_email_and_pdf_announce_amount_and_debit_day(family, notice_days):
    offer_direct_debit(notice_days=notice_days)
    mandate = mandate_for(family)
    invoice = issued_invoice(priced_activity(), ChildFactory(family=family))
    issued_on = timezone.localdate(invoice.issued_at)
    day = max(invoice.due_date, issued_on + datetime.timedelta(days=notice_days))
    announce = (f"Prélèvement automatique : {euros(invoice.total_cents)} seront prélevés sur "
                f"votre compte le {date_format(day, 'j F Y')} (mandat {mandate.reference}).")
    mail = OutboxMessage.objects.get(template="invoice_issued")
    assert announce in flat(mail.body_text)
    assert "payées par prélèvement automatique" in flat(mail.body_text)
    assert announce in flat(pdf_text(render_invoice_pdf_bytes(invoice)))
    assert (day - issued_on).days >= notice_days


def test_without_a_mandate_nothing_speaks_of_direct_debit(parent_client, family):
    offer_direct_debit()
    invoice = issued_invoice(priced_activity(), ChildFactory(family=family))
    mail = OutboxMessage.objects.get(template="invoice_issued")
    assert "prélev" not in mail.body_text.lower()
    assert "prélev" not in pdf_text(render_invoice_pdf_bytes(invoice)).lower()
    page = visible_text(parent_client.get(reverse("facturation:invoices")))
    assert "payées par prélèvement" not in page
    assert "Signer un mandat de prélèvement" in page  # offered: the way to sign one


def test_the_notice_cannot_be_set_below_the_sepa_minimum():
    offer_direct_debit()
    with pytest.raises(ValidationError) as error:
        update_commune(direct_debit_notice_days=13)
    assert "au moins 14 jours" in str(error.value)


def test_direct_debit_cannot_be_offered_without_the_regies_identifiers():
    with pytest.raises(ValidationError) as error:
        update_commune(payment_methods=["direct_debit"], regie_iban="", sepa_creditor_id="")
    assert "identifiant créancier SEPA (ICS)" in str(error.value)


def test_a_mandate_signed_after_the_invoice_announces_its_debit_itself(parent_client, family):
    offer_direct_debit(notice_days=40)
    invoice = issued_invoice(priced_activity(), ChildFactory(family=family))
    assert "prélev" not in OutboxMessage.objects.get(template="invoice_issued").body_text
    parent_client.post(reverse("facturation:mandate"), {
        "holder_name": "Claire Martin", "iban": "FR7630006000011234567890189", "consent": "on"})
    # Told today: debited 40 days from today, after the due date.
    day = timezone.localdate() + datetime.timedelta(days=40)
    assert day > invoice.due_date
    when = f"{euros(invoice.total_cents)}, le {date_format(day, 'j F Y')}"
    mail = OutboxMessage.objects.get(template="mandate_signed")
    assert f"facture {invoice.number} : {when}" in flat(mail.body_text)
    page = visible_text(parent_client.get(reverse("facturation:invoice", args=[invoice.pk])))
    assert f"seront prélevés sur votre compte le {date_format(day, 'j F Y')}" in page
