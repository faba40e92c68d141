"""Every text that names a way to pay says what is really available: the commune's offered
methods and IBAN (its settings) and the operator's online provider — none, Stripe, PayFiP or
the demonstration (issues 23 and 24). Checked on « Mes factures », in the « Votre facture »
e-mail, in the reminder and in the invoice PDF; for a household with an active mandate, the
debit announced, and nothing else promised once the invoice is in a collection file."""

import datetime

import pytest
from django.urls import reverse

from facturation.models import euros
from facturation.pdf import render_invoice_pdf_bytes
from facturation.services.direct_debit import prepare_batch
from facturation.services.reminders import send_overdue_reminders
from ground.commune import update_commune
from ground.models import OutboxMessage
from tests.helpers import pdf_text, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import issued_invoice, priced_activity
from tests.scenarios.direct_debit import ICS, mandate_for
from tests.scenarios.families import ChildFactory
from tests.scenarios.payfip_fake import NUMCLI

pytestmark = pytest.mark.django_db

IBAN = "FR7630001007941234567890185"
IBAN_PRINTED = "FR76 3000 1007 9412 3456 7890 185"

# Names of the other providers: never written when they are not the one configured.
ELSEWHERE = {"": ["PayFiP", "Stripe", "démonstration"], "stripe": ["PayFiP", "démonstration"],
             "payfip": ["Stripe", "démonstration"], "demo": ["PayFiP", "Stripe",
                                                             "carte bancaire"]}

# (methods offered, online provider configured, IBAN) → what the family may read, and what
# it may not (besides the providers not configured).
CASES = {
    "card, no online provider": (
        ["card", "cheque", "cash"], "", "",
        ["chèque", "espèces"], ["carte bancaire", "« Payer »", "virement", "CESU"]),
    "card with Stripe keys": (
        ["card", "cheque"], "stripe", "",
        ["par carte bancaire", "« Payer »", "chèque"],
        ["espèces", "virement", "CESU", "prélèvement unique"]),
    "card through PayFiP": (
        ["card", "cheque"], "payfip", "",
        ["par carte bancaire ou prélèvement unique (PayFiP)", "« Payer »", "chèque"],
        ["espèces", "virement", "CESU"]),
    "the demonstration provider": (
        ["card", "transfer"], "demo", IBAN,
        ["en mode démonstration (aucun argent n'est débité)", "« Payer »", "virement",
         IBAN_PRINTED], ["chèque", "espèces"]),
    "PayFiP configured, card not offered": (
        ["cheque"], "payfip", "",
        ["chèque"], ["« Payer »", "en ligne", "prélèvement unique"]),
    "transfer with the régie's IBAN": (
        ["transfer", "cesu"], "stripe", IBAN,
        ["virement", IBAN_PRINTED, "CESU"], ["carte bancaire", "« Payer »", "chèque"]),
    "transfer without IBAN": (
        ["transfer"], "", "",
        ["virement", "demandez les coordonnées bancaires"], ["carte bancaire", "« Payer »"]),
    # Offered, but this household has no mandate: nothing to promise it.
    "direct debit only": (
        ["direct_debit"], "stripe", IBAN,
        ["renseignez-vous auprès du service"], ["carte bancaire", "« Payer »", "prélèvement"]),
}


def configure_provider(settings, provider: str) -> None:
    """The operator's environment: PORTAIL_PAYMENT_PROVIDER and the provider's keys."""
    settings.PORTAIL_PAYMENT_PROVIDER = provider if provider in ("payfip", "demo") else ""
    settings.STRIPE_SECRET_KEY = "sk_test_portail" if provider == "stripe" else ""
    settings.PAYFIP_NUMCLI = NUMCLI if provider == "payfip" else ""
    settings.PAYFIP_MODE = "T"


@pytest.fixture(params=list(CASES))
def case(request, settings):
    methods, provider, iban, present, absent = CASES[request.param]
    configure_provider(settings, provider)
    update_commune(payment_methods=methods, regie_iban=iban,
                   sepa_creditor_id=ICS if "direct_debit" in methods else "")
    # The other providers' names are absent only where the card is offered at all.
    return present, absent + (ELSEWHERE[provider] if "card" in methods else ELSEWHERE[""])


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


@pytest.mark.parametrize("provider, online", [
    ("", ""), ("payfip", "par carte bancaire ou prélèvement unique (PayFiP)"),
    ("demo", "en mode démonstration")])
def test_a_household_with_a_mandate_reads_its_debit_then_nothing_else_once_in_a_file(
        settings, parent_client, family, provider, online):
    configure_provider(settings, provider)
    update_commune(payment_methods=["card", "cheque", "direct_debit"], regie_iban=IBAN,
                   sepa_creditor_id=ICS)
    mandate = mandate_for(family)
    invoice = issued_invoice(priced_activity(), ChildFactory(family=family, first_name="Léa"))
    announce = f"Prélèvement automatique : {euros(invoice.total_cents)} seront prélevés"
    others = ELSEWHERE[provider] + ([] if online else ["« Payer »", "carte bancaire"])
    # Issued: the debit announced, and the other ways until then (paying first is allowed).
    mail = " ".join(OutboxMessage.objects.get(template="invoice_issued").body_text.split())
    pdf = " ".join(pdf_text(render_invoice_pdf_bytes(invoice)).split())
    page = visible_text(parent_client.get(reverse("facturation:invoice", args=[invoice.pk])))
    for text in (mail, pdf, page):
        assert announce in text and f"mandat {mandate.reference}" in text
    for text in (mail, pdf):
        says_exactly(text, ([online, "chèque"] if online else ["chèque"], others))

    batch = prepare_batch(invoice.due_date + datetime.timedelta(days=30), StaffFactory())

    # In the collection file: the debit, and no « Payer » nor card promised any more.
    sent = (f"Prélèvement automatique : {euros(invoice.total_cents)} transmis à votre banque, "
            f"prélevés sur votre compte le")
    pdf = " ".join(pdf_text(render_invoice_pdf_bytes(invoice)).split())
    page = visible_text(parent_client.get(reverse("facturation:invoice", args=[invoice.pk])))
    for text in (pdf, page):
        assert sent in text and f"mandat {mandate.reference}" in text
        assert batch.collection_date.strftime("%Y") in text
        for words in ("« Payer »", "Payer en ligne", "carte bancaire", "prélèvement unique",
                      "seront prélevés", "chèque"):
            assert words not in text, words
