"""Every text that names a way to pay says what is really available: the commune's offered
methods and IBAN (its settings) and the operator's Stripe keys (issue 23, item 1). Checked on
« Mes factures », in the « Votre facture » e-mail, in the reminder and in the invoice PDF."""

import datetime

import pytest
from django.urls import reverse

from facturation.pdf import render_invoice_pdf_bytes
from facturation.services.reminders import send_overdue_reminders
from ground.commune import update_commune
from ground.models import OutboxMessage
from tests.helpers import pdf_text, visible_text
from tests.scenarios.billing import issued_invoice, priced_activity
from tests.scenarios.families import ChildFactory

pytestmark = pytest.mark.django_db

IBAN = "FR7630001007941234567890185"
IBAN_PRINTED = "FR76 3000 1007 9412 3456 7890 185"

# (methods offered, Stripe key set, IBAN) → what the family may read, and what it may not.
CASES = {
    "card without Stripe keys": (
        ["card", "cheque", "cash"], False, "",
        ["chèque", "espèces"], ["carte bancaire", "« Payer »", "virement", "CESU"]),
    "card with Stripe keys": (
        ["card", "cheque"], True, "",
        ["carte bancaire", "« Payer »", "chèque"], ["espèces", "virement", "CESU"]),
    "transfer with the régie's IBAN": (
        ["transfer", "cesu"], True, IBAN,
        ["virement", IBAN_PRINTED, "CESU"], ["carte bancaire", "« Payer »", "chèque"]),
    "transfer without IBAN": (
        ["transfer"], False, "",
        ["virement", "demandez les coordonnées bancaires"], ["carte bancaire", "« Payer »"]),
    # Offered, but this household has no mandate: nothing to promise it.
    "direct debit only": (
        ["direct_debit"], True, IBAN,
        ["renseignez-vous auprès du service"], ["carte bancaire", "« Payer »", "prélèvement"]),
}


@pytest.fixture(params=list(CASES))
def case(request, settings):
    methods, stripe, iban, present, absent = CASES[request.param]
    settings.STRIPE_SECRET_KEY = "sk_test_portail" if stripe else ""
    update_commune(payment_methods=methods, regie_iban=iban,
                   sepa_creditor_id="FR72ZZZ123456" if "direct_debit" in methods else "")
    return present, absent


@pytest.fixture
def invoice(case, family):
    return issued_invoice(priced_activity(), ChildFactory(family=family, first_name="Léa"))


def says_exactly(text: str, case) -> None:
    present, absent = case
    lowered = " ".join(text.split()).lower()
    for words in present:
        assert words.lower() in lowered, words
    for words in absent:
        assert words.lower() not in lowered, words


def test_mes_factures_intro_says_the_available_ways(parent_client, invoice, case):
    page = visible_text(parent_client.get(reverse("facturation:invoices")))
    intro = page[page.index("Chaque mois"):page.index("À payer")]
    says_exactly(intro, case)


def test_the_invoice_email_says_the_available_ways(invoice, case):
    message = OutboxMessage.objects.filter(template="invoice_issued").get()
    assert invoice.number in message.body_text
    says_exactly(message.body_text, case)


def test_the_pdf_says_the_available_ways(invoice, case):
    text = pdf_text(render_invoice_pdf_bytes(invoice))
    says_exactly(text[text.index("Comment payer"):], case)


def test_the_reminder_says_the_available_ways(invoice, case):
    late = datetime.datetime.combine(invoice.due_date + datetime.timedelta(days=3),
                                     datetime.time(10), tzinfo=datetime.UTC)
    assert send_overdue_reminders(now=late) == 1
    message = OutboxMessage.objects.filter(template="invoice_reminder").get()
    says_exactly(message.body_text, case)


@pytest.mark.parametrize("iban, words", [(IBAN, f"IBAN {IBAN_PRINTED}"),
                                         ("", "demandez les coordonnées bancaires")])
def test_the_payment_page_gives_the_regies_iban_for_a_transfer(parent_client, family, iban,
                                                                words):
    update_commune(payment_methods=["transfer"], regie_iban=iban)
    invoice = issued_invoice(priced_activity(), ChildFactory(family=family))
    text = visible_text(parent_client.get(reverse("facturation:payment", args=[invoice.pk])))
    assert words in text
