"""The demonstration provider (`make run`): end to end through HTTP, labelled « mode
démonstration », the same state machine as the real providers, and refused in production."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from facturation.models import Payment, PaymentAttempt
from ground.models import OutboxMessage
from tests.production_stack import production_environment
from tests.scenarios.billing import InvoiceFactory

State = PaymentAttempt.State


@pytest.fixture
def demo(settings):
    settings.PORTAIL_PAYMENT_PROVIDER = "demo"


@pytest.fixture
def invoice(family):
    return InvoiceFactory(issued=True, family=family, total_cents=4250)


def open_demo_bank(parent_client, invoice) -> tuple[PaymentAttempt, str]:
    response = parent_client.post(reverse("facturation:pay", args=[invoice.pk]))
    assert response.status_code == 303
    attempt = PaymentAttempt.objects.get(invoice=invoice, state=State.PENDING)
    assert response["Location"] == reverse("facturation:demo_bank", args=[attempt.pk])
    page = parent_client.get(response["Location"])
    assert page.status_code == 200
    return attempt, page.content.decode()


@pytest.mark.parametrize("choice, shown", [
    ("paid", "Payée"), ("refused", "Paiement refusé"), ("abandoned", "Paiement abandonné"),
])
def test_a_parent_pays_a_demo_invoice_end_to_end(demo, parent_client, invoice, guardian,
                                                 choice, shown):
    payment_page = parent_client.get(reverse("facturation:payment", args=[invoice.pk]))
    assert "Mode démonstration" in payment_page.content.decode()
    attempt, bank = open_demo_bank(parent_client, invoice)
    assert "Mode démonstration" in bank and "42,50" in bank

    response = parent_client.post(reverse("facturation:demo_bank", args=[attempt.pk]),
                                  {"choice": choice}, follow=True)

    assert response.redirect_chain == [(reverse("facturation:attempt_return",
                                                 args=[invoice.pk, attempt.pk]), 303)]
    assert shown in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.state == choice
    receipts = OutboxMessage.objects.filter(template="payment_received")
    if choice == "paid":
        assert invoice.balance_cents() == 0
        assert [r.to for r in receipts] == [[guardian.user.email]]
    else:
        assert invoice.balance_cents() == invoice.total_cents
        assert not receipts.exists() and not Payment.objects.exists()
    # Choosing again (a second tab, the back button) changes nothing.
    parent_client.post(reverse("facturation:demo_bank", args=[attempt.pk]), {"choice": "paid"})
    assert Payment.objects.count() == (1 if choice == "paid" else 0)


def test_the_demo_bank_is_absent_unless_the_demo_is_the_provider(settings, demo,
                                                                 parent_client, invoice,
                                                                 other_guardian):
    attempt, _page = open_demo_bank(parent_client, invoice)
    bank = reverse("facturation:demo_bank", args=[attempt.pk])
    other = Client()
    other.force_login(other_guardian.user)
    assert other.get(bank).status_code == 404  # another family's attempt

    settings.PORTAIL_PAYMENT_PROVIDER = ""
    assert parent_client.get(bank).status_code == 404
    assert parent_client.post(bank, {"choice": "paid"}).status_code == 404
    assert not Payment.objects.exists()


def run_production_settings(tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {**production_environment(redis_url=django_settings.REDIS_URL,
                                    private_root=tmp_path),
           "DJANGO_SETTINGS_MODULE": "tests.production_settings", **extra}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=django_settings.BASE_DIR,
        env=env, capture_output=True, text=True, timeout=60, check=False)


def test_production_refuses_to_start_with_the_demo_provider(tmp_path, db):
    refused = run_production_settings(tmp_path, PORTAIL_PAYMENT_PROVIDER="demo")
    assert refused.returncode != 0
    assert "PORTAIL_PAYMENT_PROVIDER=demo" in refused.stderr
    # The control: the same settings with PayFiP start.
    assert run_production_settings(tmp_path, PORTAIL_PAYMENT_PROVIDER="payfip",
                                   PAYFIP_NUMCLI="090909").returncode == 0
