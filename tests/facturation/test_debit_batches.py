"""The monthly collection file: the issued invoices of households with an active mandate,
minus what is already paid, as a pain.008.001.02 file (sepaxml, validated against the ISO
schema) with the right sequence types and control sums; the debited invoice paid once, never
online again; a reject making it due again (docs/prelevement.md)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from facturation import direct_debit, sepa_file
from facturation.models import DebitItem, Invoice, Mandate, Payment, PaymentAttempt
from facturation.services import direct_debit as services
from ground.models import OutboxMessage
from tests.helpers import visible_text
from tests.scenarios.accounts import StaffFactory, staff_without
from tests.scenarios.billing import InvoiceFactory, pay
from tests.scenarios.direct_debit import (
    FAMILY_IBANS,
    IBAN,
    ICS,
    NS,
    debit_xml,
    mandate_for,
    offer_direct_debit,
    texts,
)
from tests.scenarios.families import FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


def in_a_month() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=40)


def issued(family, cents: int) -> Invoice:
    return InvoiceFactory(issued=True, family=family, total_cents=cents)


def euros_text(cents: int) -> str:
    """4250 → "42.50", as pain.008 writes amounts."""
    return f"{cents // 100}.{cents % 100:02d}"


def test_the_file_debits_what_is_owed_with_the_right_sums_and_identifiers():
    offer_direct_debit()
    martin, bernard, petit = (FamilyFactory(name=n) for n in ("Martin", "Bernard", "Petit"))
    martin_mandate = mandate_for(martin, FAMILY_IBANS[0][0])
    bernard_mandate = mandate_for(bernard, FAMILY_IBANS[1][0],
                                  signed_on=timezone.localdate() - datetime.timedelta(days=3))
    first, partly = issued(martin, 4250), issued(bernard, 3100)
    pay(partly, 1000)  # what is already paid is not debited
    issued(petit, 5000)  # no mandate: not debited
    pay(issued(martin, 1200))  # paid: not debited

    batch = services.prepare_batch(in_a_month(), StaffFactory())

    root = debit_xml(batch)
    amounts = {first.pk: 4250, partly.pk: 2100}
    assert batch.count == 2 and batch.total_cents == sum(amounts.values())
    assert texts(root, ".//p:GrpHdr/p:NbOfTxs") == ["2"]
    assert texts(root, ".//p:GrpHdr/p:CtrlSum") == [euros_text(6350)]
    # Each mandate's first debit: one FRST group holding both, its own count and sum.
    assert texts(root, ".//p:PmtInf/p:PmtTpInf/p:SeqTp") == ["FRST"]
    assert texts(root, ".//p:PmtInf/p:NbOfTxs") == ["2"]
    assert texts(root, ".//p:PmtInf/p:CtrlSum") == [euros_text(6350)]
    assert texts(root, ".//p:PmtInf/p:ReqdColltnDt") == [in_a_month().isoformat()]
    assert texts(root, ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == [ICS]
    assert texts(root, ".//p:CdtrAcct/p:Id/p:IBAN") == [IBAN]
    assert texts(root, ".//p:CdtrAgt/p:FinInstnId/p:BIC") == ["BDFEFRPP"]  # from its IBAN
    transactions = {tx.find("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", NS).text: tx
                    for tx in root.iterfind(".//p:DrctDbtTxInf", NS)}
    assert set(transactions) == {martin_mandate.reference, bernard_mandate.reference}
    bernard_tx = transactions[bernard_mandate.reference]
    assert bernard_tx.find("p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr", NS).text == (
        bernard_mandate.signed_on.isoformat())
    assert bernard_tx.find("p:DbtrAcct/p:Id/p:IBAN", NS).text == FAMILY_IBANS[1][0]
    assert bernard_tx.find("p:InstdAmt", NS).text == euros_text(2100)
    assert bernard_tx.find("p:InstdAmt", NS).get("Ccy") == "EUR"
    assert partly.number in bernard_tx.find("p:RmtInf/p:Ustrd", NS).text
    # Debited = paid, once: the invoices are settled, by a direct-debit payment each.
    for invoice_id, cents in amounts.items():
        invoice = Invoice.objects.with_balances().get(pk=invoice_id)
        assert invoice.balance == 0
        assert invoice.payments.get(method=Payment.Method.DIRECT_DEBIT).amount_cents == cents
    # Nothing more to take: the next file is refused, not empty.
    with pytest.raises(ValidationError, match="Aucune facture à prélever"):
        services.prepare_batch(in_a_month(), StaffFactory())


def test_a_mandates_first_debit_is_frst_and_the_next_months_rcur():
    offer_direct_debit()
    family = FamilyFactory()
    mandate = mandate_for(family)
    issued(family, 4250)
    october = services.prepare_batch(in_a_month(), StaffFactory())
    issued(family, 3800)  # the next month's invoice
    november = services.prepare_batch(in_a_month() + datetime.timedelta(days=30),
                                      StaffFactory())
    assert texts(debit_xml(october), ".//p:SeqTp") == ["FRST"]
    assert texts(debit_xml(november), ".//p:SeqTp") == ["RCUR"]
    assert texts(debit_xml(november), ".//p:MndtId") == [mandate.reference]
    mandate.refresh_from_db()
    assert mandate.first_debit_used


def test_a_revoked_mandate_is_never_debited():
    offer_direct_debit()
    family = FamilyFactory()
    mandate_for(family)
    issued(family, 4250)
    services.revoke_mandate(family, StaffFactory())
    with pytest.raises(ValidationError, match="Aucune facture à prélever"):
        services.prepare_batch(in_a_month(), StaffFactory())
    assert not DebitItem.objects.exists()


def test_an_invoice_is_debited_only_once_its_announced_date_has_come():
    offer_direct_debit(notice_days=20)
    family = FamilyFactory()
    invoice = issued(family, 4250)
    # Signed after the invoice was issued: the mandate's e-mail announces it, 20 days ahead.
    mandate = mandate_for(family)
    day = direct_debit.debit_date(invoice, mandate)
    assert day == max(invoice.due_date, timezone.localdate() + datetime.timedelta(days=20))
    with pytest.raises(ValidationError):
        services.prepare_batch(day - datetime.timedelta(days=1), StaffFactory())
    assert services.prepare_batch(day, StaffFactory()).count == 1


def test_the_schema_is_checked_and_a_broken_file_fails():
    offer_direct_debit()
    family = FamilyFactory()
    mandate_for(family)
    issued(family, 4250)
    xml = services.batch_xml(services.prepare_batch(in_a_month(), StaffFactory()))
    sepa_file.validate(xml)  # the file kept passes the pain.008.001.02 schema
    broken = xml.replace(b"<SeqTp>FRST</SeqTp>", b"<SeqTp>ONCE</SeqTp>")
    assert broken != xml
    with pytest.raises(sepa_file.FileRefused):
        sepa_file.validate(broken)
    with pytest.raises(sepa_file.FileRefused):
        sepa_file.validate(xml.replace(b"<NbOfTxs>1</NbOfTxs>", b"<NbOfTxs>un</NbOfTxs>"))


def test_the_file_is_kept_encrypted():
    offer_direct_debit()
    family = FamilyFactory()
    mandate_for(family)
    issued(family, 4250)
    batch = services.prepare_batch(in_a_month(), StaffFactory())
    assert FAMILY_IBANS[0][0].encode() in services.batch_xml(batch)
    assert FAMILY_IBANS[0][0] not in batch.xml_encrypted


def test_a_debited_invoice_cannot_be_paid_online(settings, client):
    settings.PORTAIL_PAYMENT_PROVIDER = "demo"
    offer_direct_debit()
    guardian = GuardianFactory()
    family = guardian.family
    mandate_for(family)
    invoice = issued(family, 4250)
    services.prepare_batch(in_a_month(), StaffFactory())
    assert direct_debit.blocks_online_payment(invoice)
    assert list(Invoice.objects.in_debit_batch()) == [invoice]
    client.force_login(guardian.user)
    answer = client.post(reverse("facturation:pay", args=[invoice.pk]), follow=True)
    assert "prélevée sur votre compte" in answer.content.decode()
    assert not PaymentAttempt.objects.filter(invoice=invoice).exists()


def test_a_reject_makes_the_invoice_due_again_and_tells_the_family():
    offer_direct_debit(reject_fee_cents=750)
    family = GuardianFactory().family
    mandate = mandate_for(family)
    invoice = issued(family, 4250)
    batch = services.prepare_batch(in_a_month(), StaffFactory())
    item = batch.items.get()

    services.record_reject(item.pk, "AM04", StaffFactory())

    item.refresh_from_db()
    assert item.rejected_at and item.reject_reason == "AM04" and item.reject_fee_cents == 750
    assert Invoice.objects.with_balances().get(pk=invoice.pk).balance == 4250
    assert not invoice.payments.exists()
    assert not direct_debit.blocks_online_payment(invoice)
    mail = OutboxMessage.objects.get(template="debit_rejected")
    body = " ".join(mail.body_text.split())
    assert invoice.number in mail.subject
    assert "AM04 – provision insuffisante" in body and "42,50 €" in body
    assert "7,50 €" in body and "ne sera pas prélevée à nouveau" in body
    # A first debit returned: the mandate's next debit is a first one again.
    mandate.refresh_from_db()
    assert not mandate.first_debit_used
    with pytest.raises(ValidationError, match="déjà enregistré"):
        services.record_reject(item.pk, "AM04", StaffFactory())
    # The rejected invoice is paid another way, never debited again.
    with pytest.raises(ValidationError, match="Aucune facture à prélever"):
        services.prepare_batch(in_a_month(), StaffFactory())


def test_staff_prepare_download_and_reject_through_the_admin(client):
    offer_direct_debit()
    family = FamilyFactory(name="Famille Martin")
    mandate_for(family)
    invoice = issued(family, 4250)
    client.force_login(StaffFactory())
    response = client.post(reverse("admin:facturation_debitbatch_add"),
                           {"collection_date": in_a_month().isoformat()})
    batch = invoice.debit_items.get().batch
    assert response.status_code == 302
    page = client.get(reverse("admin:facturation_debitbatch_change", args=[batch.pk]))
    text = visible_text(page)
    assert invoice.number in text and "42,50 €" in text
    assert FAMILY_IBANS[0][0] not in page.content.decode()
    download = client.get(reverse("admin:facturation_debitbatch_download", args=[batch.pk]))
    assert download["Content-Type"] == "application/xml"
    assert "attachment" in download["Content-Disposition"]
    assert FAMILY_IBANS[0][0].encode() in download.content
    reject = reverse("admin:facturation_debititem_reject", args=[batch.items.get().pk])
    assert client.post(reject, {"reason": "MD06"}).status_code == 302
    assert Invoice.objects.with_balances().get(pk=invoice.pk).balance == 4250


def test_staff_without_the_direct_debit_permission_reach_no_file(client):
    offer_direct_debit()
    family = FamilyFactory()
    mandate_for(family)
    issued(family, 4250)
    batch = services.prepare_batch(in_a_month(), StaffFactory())
    client.force_login(staff_without("manage_direct_debit"))
    for url in (reverse("admin:facturation_debitbatch_add"),
                reverse("admin:facturation_debitbatch_download", args=[batch.pk]),
                reverse("admin:facturation_debitbatch_change", args=[batch.pk]),
                reverse("admin:facturation_debititem_reject", args=[batch.items.get().pk])):
        assert client.get(url).status_code == 403, url
    assert Mandate.objects.count() == 1
