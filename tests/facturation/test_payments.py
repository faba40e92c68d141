"""Paying an invoice: staff record counter payments (never more than owed, even when two
agents record at once), and parents start an online payment at Stripe Checkout from their own
invoices only, with a clear answer when online payment is not set up or Stripe is down."""

import datetime
import html
import json
import threading

import pytest
import stripe
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from facturation import stripe_gateway
from facturation.models import Invoice, Payment, PaymentAttempt, StripeEvent, euros
from facturation.services import payments
from facturation.services.payments import record_payment
from ground.models import OutboxMessage
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.stripe_fake import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeStripeServer,
    checkout_completed,
    sign,
)

NOT_CONFIGURED = ("Le paiement en ligne n'est pas encore configuré : payez par chèque, "
                  "espèces, CESU ou virement auprès du service.")


@pytest.fixture(autouse=True)
def stripe_server(monkeypatch):
    """Stripe's servers, faked behind stripe-python's own HTTP client; no test reaches the
    network. Replace `.unreachable`/`.status` to change its answer."""
    server = FakeStripeServer()
    monkeypatch.setattr(stripe_gateway, "http_client",
                        lambda: stripe.RequestsClient(session=server))
    return server


@pytest.fixture
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_CURRENCY = "eur"


@pytest.fixture
def no_stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


@pytest.fixture
def invoice(family):
    return InvoiceFactory(issued=True, family=family, total_cents=6380)


def now():
    return timezone.now()


# --- Staff: cash, cheque, CESU, transfer -------------------------------------------------

def test_staff_records_payments_up_to_the_balance_and_each_is_receipted(invoice, guardian,
                                                                       staff_user):
    first = record_payment(invoice.pk, method=Payment.Method.CHEQUE, amount_cents=2000,
                           received_at=now(), reference=" 1234567 ", staff_user=staff_user)

    assert (first.recorded_by, first.reference, first.flagged_for_refund) == (
        staff_user, "1234567", False)
    assert invoice.balance_cents() == invoice.total_cents - 2000
    receipt = OutboxMessage.objects.get(template="payment_received")
    assert receipt.to == [guardian.user.email]
    assert invoice.number in receipt.subject
    assert euros(2000) in receipt.body_text and "Chèque" in receipt.body_text
    assert "1234567" in receipt.body_text
    assert f"Il reste {euros(invoice.total_cents - 2000)} à payer" in receipt.body_text

    # One cent more than what is left is refused, with both amounts in words.
    remaining = invoice.balance_cents()
    with pytest.raises(ValidationError) as refused:
        record_payment(invoice.pk, method=Payment.Method.CASH, amount_cents=remaining + 1,
                       received_at=now(), reference="", staff_user=staff_user)
    assert refused.value.messages == [
        f"Le montant saisi ({euros(remaining + 1)}) dépasse le reste à payer de la facture "
        f"{invoice.number} ({euros(remaining)}). Encaissez au plus le reste à payer."]
    assert invoice.payments.count() == 1

    record_payment(invoice.pk, method=Payment.Method.CESU, amount_cents=remaining,
                   received_at=now(), reference="", staff_user=staff_user)
    assert invoice.balance_cents() == 0
    last = OutboxMessage.objects.filter(template="payment_received").order_by("pk").last()
    assert "La facture est entièrement payée" in last.body_text

    with pytest.raises(ValidationError, match="déjà réglée"):
        record_payment(invoice.pk, method=Payment.Method.CASH, amount_cents=1,
                       received_at=now(), reference="", staff_user=staff_user)
    assert invoice.payments.count() == 2
    assert OutboxMessage.objects.filter(template="payment_received").count() == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"method": Payment.Method.CARD}, "Choisissez le mode de paiement"),
    ({"method": "bitcoin"}, "Choisissez le mode de paiement"),
    ({"amount_cents": 0}, "Le montant doit être supérieur à zéro."),
    ({"amount_cents": -500}, "Le montant doit être supérieur à zéro."),
    ({"received_at": None}, "Indiquez la date de réception"),
    ({"received_at": timezone.now() + datetime.timedelta(days=2)}, "dans le futur"),
])
def test_staff_payment_refused_when_wrong(invoice, staff_user, changes, message):
    kwargs = {"method": Payment.Method.CASH, "amount_cents": 1000, "received_at": now(),
              "reference": "", "staff_user": staff_user, **changes}
    with pytest.raises(ValidationError, match=message):
        record_payment(invoice.pk, **kwargs)
    assert not Payment.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_staff_payment_on_a_draft_invoice_is_refused(family, staff_user):
    draft = InvoiceFactory(family=family)
    with pytest.raises(ValidationError, match="Seule une facture émise"):
        record_payment(draft.pk, method=Payment.Method.CASH, amount_cents=100,
                       received_at=now(), reference="", staff_user=staff_user)
    assert not Payment.objects.exists()


def test_staff_payment_accepts_a_day(invoice, staff_user):
    """A cheque received yesterday, as a date from the admin form."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    payment = record_payment(invoice.pk, method=Payment.Method.TRANSFER, amount_cents=500,
                             received_at=yesterday, reference="VIR-42", staff_user=staff_user)
    payment.refresh_from_db()
    assert timezone.localdate(payment.received_at) == yesterday


# --- Two agents at once, on PostgreSQL ----------------------------------------------------

def _two_agents_pay_the_whole_balance(invoice_id, staff_user) -> list:
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def agent(index, method):
        try:
            barrier.wait(timeout=10)
            record_payment(invoice_id, method=method, amount_cents=balance, received_at=now(),
                           reference="", staff_user=staff_user)
            outcomes[index] = "paid"
        except ValidationError as exc:
            outcomes[index] = exc.messages[0]
        finally:
            connection.close()

    balance = Invoice.objects.get(pk=invoice_id).balance_cents()
    threads = [threading.Thread(target=agent, args=(0, Payment.Method.CASH)),
               threading.Thread(target=agent, args=(1, Payment.Method.CHEQUE))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def slow_balance(monkeypatch):
    """Widen the window between reading the balance and inserting the payment, so that
    without the row lock both agents would surely read the same balance."""
    read_balance = Invoice.balance_cents

    def slowly(self):
        value = read_balance(self)
        threading.Event().wait(0.5)
        return value

    monkeypatch.setattr(Invoice, "balance_cents", slowly)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_recording_at_once_cannot_overpay(transactional_db, guardian, staff_user,
                                                     slow_balance):
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=5000)

    outcomes = _two_agents_pay_the_whole_balance(invoice.pk, staff_user)

    assert sorted(outcomes) == sorted(
        ["paid", f"La facture {invoice.number} est déjà réglée : rien à encaisser."])
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).balance_cents() == 0
    [receipt] = OutboxMessage.objects.filter(template="payment_received")
    assert receipt.to == [guardian.user.email]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_lock_the_same_race_overpays(transactional_db, staff_user,
                                                         slow_balance, monkeypatch):
    """The same race with the row lock removed: both agents pass the balance check. Without
    this control the test above could pass by luck."""
    monkeypatch.setattr(payments, "_locked_invoice",
                        lambda invoice_id: Invoice.objects.filter(pk=invoice_id).first())
    invoice = InvoiceFactory(issued=True, total_cents=5000)

    outcomes = _two_agents_pay_the_whole_balance(invoice.pk, staff_user)

    assert outcomes == ["paid", "paid"]
    assert Invoice.objects.get(pk=invoice.pk).balance_cents() == -5000


# --- Parents: « Payer en ligne » ----------------------------------------------------------

def test_payer_opens_a_checkout_session_for_what_is_still_owed(
        stripe_keys, stripe_server, parent_client, invoice, guardian, staff_user):
    record_payment(invoice.pk, method=Payment.Method.CASH, amount_cents=1000,
                   received_at=now(), reference="", staff_user=staff_user)
    page = parent_client.get(reverse("facturation:payment", args=[invoice.pk]))
    assert page.status_code == 200
    assert "Payer en ligne" in page.content.decode()
    assert euros(invoice.total_cents - 1000) in page.content.decode()

    response = parent_client.post(reverse("facturation:pay", args=[invoice.pk]))

    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_fake"
    [call] = stripe_server.requests
    assert (call["method"], call["url"]) == ("POST", "https://api.stripe.com/v1/checkout/sessions")
    assert call["headers"]["Authorization"] == f"Bearer {SECRET_KEY}"
    params = call["params"]
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == str(invoice.total_cents - 1000)
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["line_items[0][quantity]"] == "1"
    assert invoice.number in params["line_items[0][price_data][product_data][name]"]
    assert params["client_reference_id"] == str(invoice.pk)
    assert params["metadata[invoice_id]"] == str(invoice.pk)
    assert params["customer_email"] == guardian.user.email
    assert params["success_url"] == "http://testserver" + reverse(
        "facturation:payment_return", args=[invoice.pk]) + "?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == "http://testserver" + reverse(
        "facturation:payment", args=[invoice.pk])
    # Nothing is recorded by starting a payment: only the webhook does that.
    assert invoice.payments.count() == 1
    assert not StripeEvent.objects.exists()


def test_a_stripe_payment_is_an_attempt_the_webhook_settles(
        stripe_keys, stripe_server, parent_client, client, invoice):
    """Stripe is one provider of the one state machine: « Payer » opens a pending attempt
    for the session, the signed webhook moves it to paid with its payment."""
    parent_client.post(reverse("facturation:pay", args=[invoice.pk]))
    attempt = PaymentAttempt.objects.get()
    assert (attempt.provider, attempt.state, attempt.provider_reference,
            attempt.amount_cents) == ("stripe", "pending", "cs_test_fake", invoice.total_cents)

    body = json.dumps(checkout_completed(invoice, session_id="cs_test_fake"))
    answer = client.post(reverse("facturation:stripe_webhook"), data=body,
                         content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body))

    assert answer.content == b"paid"
    attempt.refresh_from_db()
    assert attempt.state == "paid" and attempt.payment.stripe_session_id == "cs_test_fake"
    assert PaymentAttempt.objects.count() == 1
    assert invoice.balance_cents() == 0


def test_another_familys_invoice_answers_404_and_stripe_is_not_called(
        stripe_keys, stripe_server, parent_client, other_guardian):
    theirs = InvoiceFactory(issued=True, family=other_guardian.family)

    assert parent_client.post(reverse("facturation:pay", args=[theirs.pk])).status_code == 404
    assert parent_client.get(reverse("facturation:payment", args=[theirs.pk])).status_code == 404
    assert parent_client.get(
        reverse("facturation:payment_return", args=[theirs.pk])).status_code == 404
    assert stripe_server.requests == []


def test_a_draft_invoice_is_not_payable(stripe_keys, stripe_server, parent_client, family):
    draft = InvoiceFactory(family=family)
    assert parent_client.post(reverse("facturation:pay", args=[draft.pk])).status_code == 404
    assert stripe_server.requests == []


def test_paying_requires_login(stripe_keys, stripe_server, client, invoice):
    response = client.post(reverse("facturation:pay", args=[invoice.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert stripe_server.requests == []


def test_without_keys_the_page_says_online_payment_is_not_configured(
        no_stripe_keys, stripe_server, parent_client, invoice):
    page = parent_client.get(reverse("facturation:payment", args=[invoice.pk]))
    text = page.content.decode()
    assert NOT_CONFIGURED in html.unescape(text)  # the commune's words, escaped in the page
    assert reverse("facturation:pay", args=[invoice.pk]) not in text  # no pay button

    response = parent_client.post(reverse("facturation:pay", args=[invoice.pk]), follow=True)
    assert response.redirect_chain == [(reverse("facturation:payment", args=[invoice.pk]), 303)]
    assert [str(m) for m in response.context["messages"]] == [NOT_CONFIGURED]
    assert stripe_server.requests == []


def test_stripe_unreachable_gives_a_french_message_and_writes_nothing(
        stripe_keys, stripe_server, parent_client, invoice):
    stripe_server.unreachable = True
    back = reverse("home")

    response = parent_client.post(reverse("facturation:pay", args=[invoice.pk]),
                                  {"next": back})

    assert response.status_code == 303
    assert response["Location"] == back
    assert len(stripe_server.requests) >= 1  # it was tried (stripe-python retries once)
    page = parent_client.get(reverse("facturation:payment", args=[invoice.pk]))
    assert "Le paiement en ligne est momentanément indisponible" in page.content.decode()
    assert not Payment.objects.exists()
    assert not StripeEvent.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_stripe_refusing_the_request_gives_the_same_message(stripe_keys, stripe_server,
                                                            parent_client, invoice):
    stripe_server.status = 401
    stripe_server.body = {"error": {"type": "invalid_request_error",
                                    "message": "Invalid API Key provided: sk_test_***"}}

    response = parent_client.post(reverse("facturation:pay", args=[invoice.pk]), follow=True)

    assert response.redirect_chain == [(reverse("facturation:payment", args=[invoice.pk]), 303)]
    assert "momentanément indisponible" in response.content.decode()
    assert "Invalid API Key" not in response.content.decode()
    assert not Payment.objects.exists()


def test_next_may_not_send_the_parent_elsewhere(stripe_keys, stripe_server, parent_client,
                                                invoice):
    stripe_server.unreachable = True
    response = parent_client.post(reverse("facturation:pay", args=[invoice.pk]),
                                  {"next": "https://evil.example/"})
    assert response["Location"] == reverse("facturation:payment", args=[invoice.pk])


def test_a_paid_invoice_offers_no_payment(stripe_keys, stripe_server, parent_client, invoice,
                                          staff_user):
    record_payment(invoice.pk, method=Payment.Method.CASH, amount_cents=invoice.total_cents,
                   received_at=now(), reference="", staff_user=staff_user)

    page = parent_client.get(reverse("facturation:payment", args=[invoice.pk])).content.decode()
    assert "Payée" in page
    assert reverse("facturation:pay", args=[invoice.pk]) not in page
    assert "Espèces" in page  # the payment received is listed

    response = parent_client.post(reverse("facturation:pay", args=[invoice.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"La facture {invoice.number} est déjà réglée : rien à payer."]
    assert stripe_server.requests == []
