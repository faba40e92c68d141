"""A household's SEPA mandate: signed online by a parent from « Mes factures » (with the
mandate's text and a consent), printed, revoked after a confirmation, or recorded by staff
from paper; its IBAN checked by schwifty with a French message next to the field, encrypted
in the database and shown masked everywhere (docs/prelevement.md)."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from facturation.models import Mandate
from ground.commune import update_commune
from ground.models import OutboxMessage
from tests.helpers import pdf_text, visible_text
from tests.scenarios.accounts import StaffFactory, staff_without
from tests.scenarios.direct_debit import FAMILY_IBANS, ICS, mandate_for, offer_direct_debit

pytestmark = pytest.mark.django_db

MANDATE = reverse("facturation:mandate")
REVOKE = reverse("facturation:mandate_revoke")
CLEAR, MASKED = FAMILY_IBANS[0]


def sign(client, **changes):
    data = {"holder_name": "Claire Martin", "iban": "fr76 3000 6000 0112 3456 7890 189",
            "bic": "", "consent": "on", **changes}
    return client.post(MANDATE, data)


def test_a_parent_signs_a_mandate_online_and_sees_it_masked(parent_client, family):
    offer_direct_debit()
    form = visible_text(parent_client.get(MANDATE))
    assert "vous autorisez (A) la régie" in form and ICS in form
    assert "8 semaines" in form  # the refund right, as the SEPA mandate text says it

    response = sign(parent_client)
    assert response.status_code == 302
    mandate = Mandate.objects.get(family=family)
    assert mandate.status == Mandate.Status.ACTIVE and mandate.source == Mandate.Source.ONLINE
    assert mandate.creditor_id == ICS and mandate.signed_on == timezone.localdate()
    assert not mandate.first_debit_used
    page = visible_text(parent_client.get(MANDATE))
    assert mandate.reference in page and MASKED in page and CLEAR not in page
    invoices = visible_text(parent_client.get(reverse("facturation:invoices")))
    assert f"Votre mandat {mandate.reference} est actif" in invoices and MASKED in invoices
    assert "prélèvement automatique" in invoices
    mail = OutboxMessage.objects.get(template="mandate_signed")
    assert mandate.reference in mail.body_text and MASKED in mail.body_text
    assert CLEAR not in mail.body_text


def test_each_signature_gets_its_own_reference(parent_client, family, other_guardian):
    offer_direct_debit()
    first = mandate_for(family)
    second = mandate_for(other_guardian.family)
    assert first.reference != second.reference and len(first.reference) <= 35


@pytest.mark.parametrize("iban, message", [
    ("FR76 3000 6000 0112 3456 7890 188", "IBAN invalide : la clé de contrôle ne correspond pas"),
    ("FR76 3000 6000 0112 3456 7890 18", "IBAN invalide : un IBAN FR n'a pas 26 caractères"),
    ("XX76 3000 6000 0112 3456 7890 18", "IBAN invalide : « XX » n'est pas un pays"),
    ("3000 6000 0112", "IBAN invalide : deux lettres du pays, deux chiffres de contrôle"),
    ("US12 3456 7890 1234 5678", "IBAN invalide : « US » n'est pas un pays"),
])
def test_a_wrong_iban_is_refused_with_a_french_message_next_to_the_field(
        parent_client, family, iban, message):
    offer_direct_debit()
    response = sign(parent_client, iban=iban)
    assert response.status_code == 400
    assert message in response.context["form"].errors["iban"][0]
    assert message in visible_text(response)
    assert not Mandate.objects.exists()


def test_an_account_outside_the_sepa_zone_cannot_be_debited(parent_client, family):
    offer_direct_debit()
    response = sign(parent_client, iban="BR1500000000000010932840814P2")
    assert "n'est pas dans la zone SEPA" in response.context["form"].errors["iban"][0]


def test_no_signature_without_the_consent_nor_when_the_commune_does_not_offer_it(
        parent_client, family):
    offer_direct_debit()
    response = sign(parent_client, consent="")
    assert "Cochez la case pour signer le mandat." in visible_text(response)
    assert not Mandate.objects.exists()

    update_commune(payment_methods=["cheque"])
    assert "ne propose pas le prélèvement" in visible_text(parent_client.get(MANDATE))
    response = sign(parent_client)
    assert response.status_code == 400 and not Mandate.objects.exists()


def test_the_iban_is_encrypted_in_the_database(family):
    offer_direct_debit()
    mandate = mandate_for(family)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM facturation_mandate WHERE id = %s", [mandate.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert CLEAR not in row and CLEAR[4:] not in row and CLEAR[-10:] not in row
    assert MASKED in row  # the masked form only: country and the last four characters


def test_the_printable_mandate_is_a_pdf_of_the_households_mandate(parent_client, family):
    offer_direct_debit()
    mandate = mandate_for(family)
    response = parent_client.get(reverse("facturation:mandate_pdf"))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "Mandat de prélèvement SEPA" in text and mandate.reference in text
    assert MASKED in text and ICS in text and CLEAR not in text


def test_a_parent_revokes_after_a_confirmation(parent_client, family):
    offer_direct_debit()
    mandate = mandate_for(family)
    confirm = visible_text(parent_client.get(REVOKE))
    assert "Révoquer votre mandat de prélèvement ?" in confirm and mandate.reference in confirm
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE  # reading the page changes nothing

    assert parent_client.post(REVOKE).status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED and mandate.revoked_at is not None
    assert OutboxMessage.objects.filter(template="mandate_revoked").exists()
    page = visible_text(parent_client.get(MANDATE))
    assert "Signer le mandat de prélèvement SEPA" in page  # a new one may be signed
    assert parent_client.get(reverse("facturation:mandate_pdf")).status_code == 404


def test_a_parent_sees_and_revokes_only_his_households_mandate(
        client, family, other_guardian):
    offer_direct_debit()
    theirs = mandate_for(family)
    client.force_login(other_guardian.user)
    assert theirs.reference not in visible_text(client.get(MANDATE))
    assert client.get(reverse("facturation:mandate_pdf")).status_code == 404
    client.post(REVOKE)
    theirs.refresh_from_db()
    assert theirs.status == Mandate.Status.ACTIVE


def test_staff_record_a_paper_mandate_and_never_see_the_iban_in_clear(client, family):
    offer_direct_debit()
    client.force_login(StaffFactory())
    add = reverse("admin:facturation_mandate_add")
    data = {"family": family.pk, "holder_name": "Paul Martin", "iban": CLEAR, "bic": "",
            "signed_on": timezone.localdate().isoformat()}
    wrong = client.post(add, {**data, "iban": CLEAR[:-1] + "8"})
    assert "IBAN invalide : la clé de contrôle" in visible_text(wrong)
    response = client.post(add, data)
    mandate = Mandate.objects.get(family=family)
    assert response.status_code == 302 and mandate.source == Mandate.Source.PAPER
    for url in (reverse("admin:facturation_mandate_changelist"),
                reverse("admin:facturation_mandate_change", args=[mandate.pk])):
        page = client.get(url).content.decode()
        assert MASKED in page and CLEAR not in page and mandate.iban_encrypted not in page
    second = client.post(add, data)
    assert "déjà un mandat de prélèvement actif" in visible_text(second)


def test_staff_without_the_mandate_permission_record_none(client, family):
    offer_direct_debit()
    client.force_login(staff_without("add_mandate"))
    assert client.get(reverse("admin:facturation_mandate_add")).status_code == 403
