"""PayFiP through eopayment, against a fake of the DGFiP's web service at its HTTP boundary
(tests/scenarios/payfip_fake.py): the portal opens an operation for what is owed, believes
no notification (it asks PayFiP for the operation's detail), records each outcome once, and
tells the parent in French when PayFiP cannot be reached, recording nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from facturation.models import CreditNote, Payment, PaymentAttempt, euros
from facturation.services.online import expire_stale_attempts
from facturation.services.payments import record_payment
from ground.commune import commune
from ground.models import OutboxMessage
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.payfip_fake import NUMCLI, FakePayFiP

NOTIFY = "/paiement/payfip/notification/"
State = PaymentAttempt.State


@pytest.fixture
def payfip(settings, monkeypatch):
    settings.PAYFIP_NUMCLI = NUMCLI
    settings.PAYFIP_MODE = "T"
    return FakePayFiP().install(monkeypatch)


@pytest.fixture
def invoice(family):
    return InvoiceFactory(issued=True, family=family, total_cents=8740)


def pay(parent_client, invoice, **form):
    return parent_client.post(reverse("facturation:pay", args=[invoice.pk]), form)


def notify(idop: str, **extra):
    """What PayFiP's server posts to the notification URL: idOp (and, forged, anything)."""
    return Client().post(NOTIFY, {"idOp": idop, **extra})


def started(parent_client, invoice, payfip) -> tuple[str, PaymentAttempt]:
    response = pay(parent_client, invoice)
    assert response.status_code == 303
    idop, _operation = payfip.last
    assert response["Location"] == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={idop}"
    return idop, PaymentAttempt.objects.get(provider_reference=idop)


def return_page(parent_client, attempt) -> str:
    response = parent_client.get(reverse("facturation:attempt_return",
                                         args=[attempt.invoice_id, attempt.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_payer_opens_a_payfip_operation_for_what_is_still_owed(
        payfip, parent_client, invoice, guardian, staff_user):
    record_payment(invoice.pk, method=Payment.Method.CASH, amount_cents=740,
                   received_at=timezone.now(), reference="", staff_user=staff_user)
    page = parent_client.get(reverse("facturation:payment", args=[invoice.pk])).content.decode()
    assert "PayFiP" in page and "Payer en ligne" in page

    idop, attempt = started(parent_client, invoice, payfip)

    operation = payfip.operations[idop]
    assert operation.numcli == NUMCLI and operation.saisie == "T"
    assert operation.refdet == invoice.number.replace("-", "")  # letters and digits only
    assert operation.exer == invoice.number[:4]
    assert operation.montant == str(invoice.total_cents - 740)  # in cents
    assert operation.mel == guardian.user.email
    assert operation.urlnotif == "http://testserver" + NOTIFY
    assert operation.urlredirect == "http://testserver" + reverse(
        "facturation:attempt_return", args=[invoice.pk, attempt.pk])
    assert (attempt.state, attempt.amount_cents) == (State.PENDING, invoice.total_cents - 740)
    assert payfip.calls == ["creerPaiementSecurise"]
    assert invoice.payments.count() == 1  # starting records no payment


def test_a_paid_notification_is_checked_with_payfip_then_recorded_once(
        payfip, parent_client, invoice, guardian):
    idop, attempt = started(parent_client, invoice, payfip)
    assert "Paiement en cours de confirmation" in return_page(parent_client, attempt)
    payfip.act(idop, "P")

    answers = [notify(idop) for _ in range(3)]  # PayFiP, then two replays

    assert [a.content.decode() for a in answers] == ["paid", "duplicate", "duplicate"]
    assert payfip.calls.count("recupererDetailPaiementSecurise") == 1  # a paid one is final
    payment = Payment.objects.get(method=Payment.Method.CARD)  # resultrans P: by card
    assert (payment.amount_cents, payment.flagged_for_refund) == (invoice.total_cents, False)
    assert payment.reference == idop
    attempt.refresh_from_db()
    assert (attempt.state, attempt.payment) == (State.PAID, payment)
    assert "numauto=112233445566-tip" in attempt.detail
    assert invoice.balance_cents() == 0
    [receipt] = OutboxMessage.objects.filter(template="payment_received")
    assert receipt.to == [guardian.user.email]
    assert euros(invoice.total_cents) in receipt.body_text
    page = return_page(parent_client, attempt)
    assert "Payée" in page and "Paiement en cours" not in page


def test_a_single_debit_through_payfip_is_recorded_as_such(payfip, parent_client, invoice,
                                                            staff_user):
    """PayFiP reports how the parent paid (resultrans V: single SEPA debit, no mandate): the
    payment journal keeps it apart from card payments and from mandate debits."""
    idop, _attempt = started(parent_client, invoice, payfip)
    payfip.act(idop, "V")
    assert notify(idop).content == b"paid"
    assert invoice.balance_cents() == 0
    payment = Payment.objects.get()
    assert payment.method == Payment.Method.SINGLE_DEBIT
    assert payment.method not in (Payment.Method.CARD, Payment.Method.DIRECT_DEBIT)
    page = parent_client.get(reverse("facturation:invoice", args=[invoice.pk]))
    assert "Prélèvement unique en ligne" in page.content.decode()
    staff = Client()
    staff.force_login(staff_user)
    staff_page = staff.get(reverse("admin:facturation_invoice_change",
                                          args=[invoice.pk]))
    assert staff_page.status_code == 200
    assert "Prélèvement unique en ligne" in staff_page.content.decode()


def test_a_refused_payment_records_nothing_and_the_parent_may_try_again(
        payfip, parent_client, invoice):
    idop, attempt = started(parent_client, invoice, payfip)
    payfip.act(idop, "R")

    assert notify(idop).content == b"refused"
    assert notify(idop).content == b"duplicate"

    attempt.refresh_from_db()
    assert attempt.state == State.REFUSED
    assert not Payment.objects.exists() and not OutboxMessage.objects.exists()
    page = return_page(parent_client, attempt)
    assert "Paiement refusé" in page and "rien n'a été débité" in page
    assert reverse("facturation:pay", args=[invoice.pk]) in page  # try again
    second_idop, second = started(parent_client, invoice, payfip)
    assert second_idop != idop and second.state == State.PENDING


def test_an_abandoned_payment_waits_two_minutes_then_is_abandoned(
        payfip, parent_client, invoice):
    """PayFiP reads « A » as possibly still in progress for two minutes (eopayment)."""
    idop, attempt = started(parent_client, invoice, payfip)
    payfip.act(idop, "A", minutes_ago=0)
    assert notify(idop).content == b"waiting"
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING

    payfip.act(idop, "A", minutes_ago=3)
    assert notify(idop).content == b"abandoned"

    attempt.refresh_from_db()
    assert attempt.state == State.ABANDONED
    assert not Payment.objects.exists()
    assert "Paiement abandonné" in return_page(parent_client, attempt)


@pytest.mark.parametrize("forged", [{"resultrans": "P", "montant": "8740"}, {}])
def test_a_forged_notification_records_nothing(payfip, parent_client, invoice, forged):
    """Someone posts the idOp of a pending operation, claiming it paid: PayFiP, asked,
    does not know the result yet (P5)."""
    idop, attempt = started(parent_client, invoice, payfip)

    response = notify(idop, **forged)

    assert (response.status_code, response.content) == (200, b"waiting")
    assert payfip.calls[-1] == "recupererDetailPaiementSecurise"
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING
    assert not Payment.objects.exists() and not OutboxMessage.objects.exists()


def test_a_notification_of_an_unknown_operation_is_refused_without_asking(payfip, invoice):
    response = notify("cc0cb210-1cd4-11ea-8cca-0213ad91a103")
    assert response.status_code == 404
    assert payfip.calls == []
    assert Client().get(NOTIFY).status_code == 405


def test_a_detail_of_another_operation_is_not_believed(payfip, parent_client, invoice):
    """PayFiP's detail must be this régie's, for this invoice: otherwise nothing is recorded
    (and the beat asks again later)."""
    idop, attempt = started(parent_client, invoice, payfip)
    payfip.act(idop, "P")
    payfip.operations[idop].refdet = "2026999999"

    assert notify(idop).status_code == 502
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and not Payment.objects.exists()


def test_an_amount_mismatch_is_recorded_flagged_and_reported(payfip, parent_client, invoice,
                                                             guardian):
    idop, attempt = started(parent_client, invoice, payfip)
    payfip.act(idop, "P", montant=invoice.total_cents - 100)

    assert notify(idop).content == b"flagged"

    payment = Payment.objects.get()
    assert payment.amount_cents == invoice.total_cents - 100  # the money is on record
    assert (payment.flagged_for_refund, payment.flag_reason) == (
        True, "montant différent de la facture")
    attempt.refresh_from_db()
    assert (attempt.state, attempt.refund_reason) == (State.PAID,
                                                      "montant différent de la facture")
    assert invoice.balance_cents() == invoice.total_cents
    staff = OutboxMessage.objects.get(template="payment_flagged")
    assert staff.to == [commune().service_email]
    assert idop in staff.body_text and "par la régie" in staff.body_text
    assert OutboxMessage.objects.get(template="payment_to_refund").to == [guardian.user.email]
    assert not OutboxMessage.objects.filter(template="payment_received").exists()
    page = return_page(parent_client, attempt)
    assert "Paiement à rembourser" in page


@pytest.mark.parametrize("meanwhile, reason", [
    ("paid at the counter", "facture déjà payée"),
    ("cancelled", "facture annulée par un avoir"),
])
def test_an_invoice_that_cannot_take_the_money_flags_it(payfip, parent_client, invoice,
                                                        staff_user, meanwhile, reason):
    idop, _attempt = started(parent_client, invoice, payfip)
    if meanwhile == "cancelled":
        CreditNote.objects.create(invoice=invoice, number="AV-2026-000001",
                                  amount_cents=invoice.total_cents, reason="Erreur",
                                  issued_at=timezone.now())
    else:
        record_payment(invoice.pk, method=Payment.Method.CHEQUE,
                       amount_cents=invoice.total_cents, received_at=timezone.now(),
                       reference="", staff_user=staff_user)
    payfip.act(idop, "P")

    assert notify(idop).content == b"flagged"

    card = Payment.objects.get(method=Payment.Method.CARD)
    assert (card.flagged_for_refund, card.flag_reason) == (True, reason)
    assert invoice.balance_cents() == 0


def test_payfip_unreachable_gives_a_french_answer_records_nothing_and_can_be_retried(
        payfip, parent_client, invoice):
    payfip.unreachable = True

    response = pay(parent_client, invoice, next=reverse("home"))

    assert (response.status_code, response["Location"]) == (303, reverse("home"))
    page = parent_client.get(reverse("facturation:payment", args=[invoice.pk])).content.decode()
    assert "Le paiement en ligne est momentanément indisponible" in page
    assert not PaymentAttempt.objects.exists() and not Payment.objects.exists()
    assert not OutboxMessage.objects.exists()

    payfip.unreachable = False
    _idop, attempt = started(parent_client, invoice, payfip)
    assert attempt.state == State.PENDING


def test_a_notification_while_payfip_is_unreachable_is_recovered_by_the_beat(
        payfip, parent_client, invoice):
    idop, attempt = started(parent_client, invoice, payfip)
    payfip.act(idop, "P")
    payfip.unreachable = True

    assert notify(idop).status_code == 502  # PayFiP's detail could not be asked
    assert not Payment.objects.exists()

    with time_machine.travel(timezone.now() + timedelta(minutes=25)):
        assert expire_stale_attempts() == {"unreachable": 1}
        payfip.unreachable = False
        assert expire_stale_attempts() == {"paid": 1}
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and invoice.balance_cents() == 0


def test_an_operation_never_answered_expires(payfip, parent_client, invoice):
    idop, attempt = started(parent_client, invoice, payfip)
    with time_machine.travel(timezone.now() + timedelta(minutes=25)):
        assert expire_stale_attempts() == {"waiting": 1}  # PayFiP: P5, still in progress
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert expire_stale_attempts() == {"expired": 1}
    attempt.refresh_from_db()
    assert attempt.state == State.EXPIRED
    assert "Paiement expiré" in return_page(parent_client, attempt)
    # Paid after all (PayFiP's detail says so): money is never lost.
    payfip.act(idop, "P")
    assert notify(idop).content == b"paid"


def test_the_return_is_the_familys_own_and_a_cross_site_post_is_sent_back_as_a_get(
        payfip, parent_client, invoice, other_guardian):
    idop, attempt = started(parent_client, invoice, payfip)
    url = reverse("facturation:attempt_return", args=[invoice.pk, attempt.pk])

    back = Client(enforce_csrf_checks=True).post(url, {"idop": idop})
    assert (back.status_code, back["Location"]) == (303, url)

    other = Client()
    other.force_login(other_guardian.user)
    assert other.get(url).status_code == 404
