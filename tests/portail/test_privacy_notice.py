"""Issue 27, « Information and rights »: the « Données personnelles » notice (GDPR art. 13) is
public, says what the commune's settings say (its DPO, its retention periods), names the
payment recipients actually configured, and is linked from sign-up, the footer and every
e-mail's footer."""

import pytest
from django.test import Client
from django.urls import reverse

from ground.commune import commune
from ground.models import OutboxMessage
from ground.outbox import queue_email
from tests.helpers import visible_text
from tests.portail.test_commune_settings import CHANGE, form_data

pytestmark = pytest.mark.django_db
NOTICE = "/donnees-personnelles/"


def test_a_visitor_reads_the_notice_with_the_commune_dpo_and_retention_set_by_staff(
        staff_client):
    visitor = Client()
    response = staff_client.post(CHANGE, form_data(
        dpo_name="Centre de gestion du Morbihan", dpo_email="dpo@cdg56.example",
        dpo_address="6 rue du Commerce, 56000 Vannes", retention_document_months=4,
        retention_outbox_body_days=30, retention_access_log_days=400,
        retention_inactive_account_years=2))
    assert response.status_code == 302, visible_text(response)

    page = visitor.get(NOTICE)  # nobody logged in
    assert page.status_code == 200
    text = visible_text(page)
    for said in ("Centre de gestion du Morbihan", "dpo@cdg56.example",
                 "6 rue du Commerce, 56000 Vannes", "mission d'intérêt public",
                 "obligations légales", "comptable public", "puis 4 mois",
                 "e-mails envoyés : 30 jours", "consultations : 400 jours",
                 "après 2 ans sans connexion", "fin de l'année scolaire suivante",
                 "Commission nationale de l'informatique et des libertés (CNIL)"):
        assert said in text, said
    # Fresh settings: no DPO named yet, the service's address answers.
    staff_client.post(CHANGE, form_data(dpo_name="", dpo_email="", dpo_address=""))
    text = visible_text(visitor.get(NOTICE))
    assert commune().service_email in text and commune().postal_address in text


def test_the_recipients_are_the_payment_providers_actually_configured(client, settings):
    settings.PORTAIL_PAYMENT_PROVIDER = ""
    settings.PAYFIP_NUMCLI = ""
    settings.STRIPE_SECRET_KEY = ""
    text = visible_text(client.get(NOTICE))
    assert "PayFiP" not in text and "Stripe" not in text and "prélèvement" not in text

    settings.PAYFIP_NUMCLI = "123456"
    row = commune()
    row.payment_methods = ["card", "direct_debit"]
    row.regie_iban, row.sepa_creditor_id = "FR7630001007941234567890185", "FR72ZZZ123456"
    row.save()
    text = visible_text(client.get(NOTICE))
    assert "PayFiP, pour les paiements en ligne" in text
    assert "pour le prélèvement automatique" in text


def test_the_notice_is_linked_from_sign_up_the_footer_and_every_e_mail(client, settings):
    settings.PORTAIL_BASE_URL = "https://famille.kerbrume.example"
    for page in ("/", "/compte/signup/", "/faq/"):
        assert f'href="{reverse("privacy")}"' in client.get(page).content.decode(), page

    queue_email("document_expiring", "parent@example.org", {"document": None})
    message = OutboxMessage.objects.get()
    assert message.body_text.endswith(
        "Vos données personnelles et vos droits\u00a0: "
        "https://famille.kerbrume.example/donnees-personnelles/")
