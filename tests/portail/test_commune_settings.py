"""Issue 25, « Commune settings are data, not deployment »: what the commune decides is one
record staff edit in the admin (« Paramètres de la commune »), with its history; the portal
uses an edit at once; bad input gets a French message; staff without the permission only read
it; the database holds one row; an upgraded deployment keeps the values of its environment."""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from familles.services import send_expiry_notices
from ground.commune import commune
from ground.models import CommuneSettings, OutboxMessage
from tests.helpers import page_text, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.families import DocumentFactory, GuardianFactory

pytestmark = pytest.mark.django_db

CHANGE = reverse("admin:ground_communesettings_change", args=[1])


def form_data(**changes) -> dict:
    """The change form as staff submit it: every field as it is, with these changes."""
    row = commune()
    data = {name: getattr(row, name) for name in (
        "name", "service_name", "service_phone", "service_email", "postal_address",
        "postal_codes", "school_holiday_zone", "justification_hours",
        "reregistration_reminder_days", "document_expiry_notice_days", "invoice_due_days",
        "invoice_reminder_days", "no_qf_bracket", "regie_iban", "regie_bic",
        "sepa_creditor_id", "direct_debit_notice_days", "direct_debit_reject_fee_cents",
        "regie_siret", "caf_care_hours", "booking_summary_minutes", "dpo_name", "dpo_email",
        "dpo_address", "retention_document_months", "retention_outbox_body_days",
        "retention_access_log_days", "retention_inactive_account_years")}
    data["payment_methods"] = list(row.payment_methods)
    data.update(changes)
    return data


def test_the_list_opens_the_one_record_and_nobody_adds_or_deletes_it(staff_client):
    response = staff_client.get(reverse("admin:ground_communesettings_changelist"))
    assert response.status_code == 302 and response["Location"] == CHANGE

    page = staff_client.get(CHANGE)
    assert page.status_code == 200
    text = visible_text(page)
    for label in ("Nom de la commune", "Délai de justification d'une absence (heures)",
                  "Échéance des factures (jours)", "IBAN de la régie",
                  "Identifiant créancier SEPA (ICS)", "Moyens de paiement proposés",
                  "Zone de vacances scolaires"):
        assert label in text
    assert staff_client.get(reverse("admin:ground_communesettings_add")).status_code == 403
    delete = reverse("admin:ground_communesettings_delete", args=[1])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert CommuneSettings.objects.count() == 1


def test_an_edit_reaches_the_pages_and_the_e_mails_at_once_and_is_in_the_history(
        staff_client, staff_user, client):
    client.get("/faq/")  # the settings are now cached
    response = staff_client.post(CHANGE, form_data(
        name="Ploeren", service_phone="02 97 40 14 90", document_expiry_notice_days=60))
    assert response.status_code == 302, visible_text(response)

    faq = page_text(client.get("/faq/"))
    assert "Ploeren" in faq and "02 97 40 14 90" in faq
    # A document ending in 45 days: told now (60 days' notice), not under the default 30;
    # the e-mail is signed with the new name.
    guardian = GuardianFactory()
    DocumentFactory(family=guardian.family,
                    valid_until=datetime.date.today() + datetime.timedelta(days=45))
    assert send_expiry_notices() == 1
    mail = OutboxMessage.objects.get(template="document_expiring")
    assert "Mairie de Ploeren" in mail.body_text and "02 97 40 14 90" in mail.body_text

    history = CommuneSettings.history.order_by("-history_date")
    assert history[0].history_user == staff_user and history[0].name == "Ploeren"
    assert staff_client.get(reverse("admin:ground_communesettings_history",
                                    args=[1])).status_code == 200


def test_payment_methods_are_the_communes_choice(staff_client):
    response = staff_client.post(CHANGE, form_data(payment_methods=["cheque", "transfer"]))
    assert response.status_code == 302
    from facturation.services.payments import not_configured_message, online_payment_available

    assert commune().payment_methods == ["cheque", "transfer"]
    assert not online_payment_available()
    assert not_configured_message() == ("Le paiement en ligne n'est pas proposé : payez par "
                                        "chèque ou virement auprès du service.")


def test_bad_input_is_refused_with_french_messages(staff_client):
    before = commune().justification_hours
    response = staff_client.post(CHANGE, form_data(
        postal_codes="56000, 5610", regie_iban="FR76 3000 1007 9412 3456 7890 186",
        sepa_creditor_id="FR72ZZZ12345", school_holiday_zone="D", justification_hours=0,
        invoice_due_days=-3, regie_siret="215 600 000 00013", service_email="pas-une-adresse"))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Code postal invalide : 5610." in text
    assert "IBAN invalide : la clé de contrôle ne correspond pas." in text
    assert "Identifiant créancier SEPA (ICS) invalide" in text
    assert "Sélectionnez un choix valide. D n’en fait pas partie." in text
    assert "Indiquez un nombre d'heures d'au moins 1." in text
    assert "SIRET invalide : la clé de contrôle ne correspond pas." in text
    assert "Saisissez une adresse de courriel valide." in text
    assert commune().justification_hours == before
    assert not CommuneSettings.history.exists()


def test_valid_bank_identifiers_are_kept_without_spaces_and_printed_in_groups(staff_client):
    response = staff_client.post(CHANGE, form_data(
        regie_iban="fr76 3000 1007 9412 3456 7890 185", sepa_creditor_id="FR72ZZZ123456",
        postal_codes="56000,56100", regie_siret="215 600 000 00008"))
    assert response.status_code == 302, visible_text(response)
    row = commune()
    assert row.regie_iban == "FR7630001007941234567890185"
    assert row.iban_display == "FR76 3000 1007 9412 3456 7890 185"
    assert row.postal_codes == "56000, 56100"


def test_staff_without_the_permission_only_read_the_settings(client):
    reader = StaffFactory()
    reader.groups.clear()
    reader.user_permissions.add(Permission.objects.get(codename="view_communesettings"))
    client.force_login(reader)
    page = client.get(CHANGE)
    assert page.status_code == 200 and 'name="name"' not in page_text(page)
    response = client.post(CHANGE, form_data(name="Piratée"))
    assert response.status_code == 403
    assert commune().name != "Piratée"

    nobody = StaffFactory()
    nobody.groups.clear()
    client.force_login(nobody)
    assert client.get(CHANGE).status_code == 403


def test_the_database_holds_one_row():
    with pytest.raises(IntegrityError), transaction.atomic():
        CommuneSettings.objects.bulk_create([CommuneSettings(id=2)])
    assert CommuneSettings.objects.count() == 1


def test_an_upgrade_takes_the_environment_once(monkeypatch):
    migration = importlib.import_module("ground.migrations.0002_commune_settings")
    CommuneSettings.objects.all().delete()
    for variable, value in {"PORTAIL_COMMUNE_NAME": "Séné", "PORTAIL_SCHOOL_HOLIDAY_ZONE": "a",
                            "PORTAIL_COMMUNE_POSTAL_CODES": "56860,56000",
                            "PORTAIL_JUSTIFICATION_HOURS": "72",
                            "PORTAIL_REGIE_SIRET": "215 602 430 00011"}.items():
        monkeypatch.setenv(variable, value)
    from django.apps import apps

    migration.create_from_environment(apps, SimpleNamespace(connection=connection))
    row = CommuneSettings.objects.get()
    assert (row.name, row.school_holiday_zone, row.postal_codes, row.justification_hours,
            row.invoice_due_days) == ("Séné", "A", "56860, 56000", 72, 30)
    assert row.payment_methods == ["card", "cash", "cheque", "cesu", "transfer"]

    monkeypatch.setenv("PORTAIL_COMMUNE_NAME", "Vannes")  # once: a later run keeps the row
    migration.create_from_environment(apps, SimpleNamespace(connection=connection))
    assert CommuneSettings.objects.get().name == "Séné"


def test_a_missing_row_is_created_with_the_defaults():
    CommuneSettings.objects.all().delete()
    assert commune().justification_hours == 48
    assert CommuneSettings.objects.get().name == "Kerbrume"
