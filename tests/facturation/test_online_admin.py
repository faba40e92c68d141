"""Staff read the online attempts of every provider in the admin: state, provider's answer,
what is to refund; with the billing permission only, and never a key."""

from django.test import Client
from django.urls import reverse

from facturation.models import PaymentAttempt
from facturation.providers import Outcome
from facturation.services.online import settle
from tests.helpers import visible_text
from tests.scenarios.accounts import staff_without
from tests.scenarios.billing import InvoiceFactory

State = PaymentAttempt.State
LIST = reverse("admin:facturation_paymentattempt_changelist")


def test_staff_read_attempts_and_find_those_to_refund(staff_client, family, settings):
    settings.PAYFIP_NUMCLI = "090909"
    settings.STRIPE_SECRET_KEY = "sk_live_never_shown"
    invoice = InvoiceFactory(issued=True, family=family, total_cents=1200)
    paid, flagged = (PaymentAttempt.objects.create(
        invoice=invoice, provider=PaymentAttempt.Provider.PAYFIP, state=State.PENDING,
        amount_cents=1200, provider_reference=f"idop-{n}") for n in (1, 2))
    settle(paid.pk, Outcome(result=State.PAID, amount_cents=1200, detail="resultrans=P"))
    settle(flagged.pk, Outcome(result=State.PAID, amount_cents=1200, detail="resultrans=P"))

    listing = visible_text(staff_client.get(LIST))
    assert invoice.number in listing and "PayFiP (DGFiP)" in listing
    assert "oui : facture déjà payée" in listing
    to_refund = visible_text(staff_client.get(LIST, {"a_rembourser": "oui"}))
    assert to_refund.count(invoice.number) == 1
    page = staff_client.get(reverse("admin:facturation_paymentattempt_change",
                                    args=[flagged.pk]))
    text = visible_text(page)
    assert "idop-2" in text and "resultrans=P" in text
    assert "sk_live_never_shown" not in page.content.decode()
    assert "Enregistrer" not in text  # read only


def test_without_the_permission_staff_do_not_see_attempts(db):
    agent = Client()
    agent.force_login(staff_without("view_paymentattempt"))
    assert agent.get(LIST).status_code == 403
