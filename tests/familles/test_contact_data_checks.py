"""What a parent or an agent types that matters in an emergency or for the price: phone numbers
(checked, stored in one spelling), postal codes, birth dates (issue 23, item 8)."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from familles.models import Child, Contact, Family, Guardian
from ground import validators
from tests.helpers import page_text
from tests.scenarios.accounts import StaffFactory, login
from tests.scenarios.counter import COUNTER_PAGE, counter_form
from tests.scenarios.families import ContactFactory, FamilyFactory, GuardianFactory

PROFILE = "/famille/profil/"
PHONE_ERROR = "Numéro de téléphone invalide"


@pytest.mark.parametrize(("typed", "stored"), [
    ("06 12 34 56 78", "06 12 34 56 78"),
    ("0612345678", "06 12 34 56 78"),
    ("06.12.34.56.78", "06 12 34 56 78"),
    ("+33 6 12 34 56 78", "06 12 34 56 78"),
    ("0033612345678", "06 12 34 56 78"),
    ("0590123456", "0590 12 34 56"),  # Guadeloupe: ten digits, its own plan
    ("+44 20 7946 0958", "+44 20 7946 0958"),
    ("0032 2 555 12 12", "+32 2 555 12 12"),
])
def test_a_phone_number_is_stored_in_one_spelling(typed, stored):
    validators.validate_phone(typed)
    assert validators.normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["pas un numéro", "0612", "06 12 34 56", "12345678901234",
                                   "+33 6 12", "06 12 34 56 78 90"])
def test_what_is_no_phone_number_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        validators.validate_phone(typed)
    assert PHONE_ERROR in refused.value.messages[0]


@pytest.mark.parametrize(("code", "valid"), [
    ("56000", True), ("97100", True), ("20000", True), ("ABCDE", False), ("5600", False),
    ("560000", False), ("00100", False), ("56 000", False)])
def test_a_postal_code_has_five_digits(code, valid):
    if valid:
        validators.validate_postal_code(code)
    else:
        with pytest.raises(ValidationError, match="Code postal invalide"):
            validators.validate_postal_code(code)


def test_a_birth_date_is_neither_to_come_nor_a_century_ago(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 7, 9, tzinfo=datetime.UTC), tick=False)
    validators.validate_birth_date(datetime.date(2026, 12, 7))  # born today
    validators.validate_birth_date(datetime.date(2001, 12, 8))
    with pytest.raises(ValidationError, match="dans le futur"):
        validators.validate_birth_date(datetime.date(2026, 12, 8))
    with pytest.raises(ValidationError, match="improbable"):
        validators.validate_birth_date(datetime.date(1890, 5, 1))
    with pytest.raises(ValidationError, match="improbable"):
        validators.validate_birth_date(datetime.date(2001, 12, 6))


def field_errors(response, form, field) -> list[str]:
    return response.context[form].errors.get(field, [])


def test_the_profile_refuses_a_mobile_that_is_no_number_and_a_postal_code_of_letters(
        parent_client, guardian, family):
    response = parent_client.post(PROFILE, {
        "first_name": guardian.first_name, "last_name": guardian.last_name,
        "relation": guardian.relation, "mobile_phone": "pas un numéro", "home_phone": "",
        "work_phone": "", "address": "1 rue des Écoles", "postal_code": "ABCDE",
        "city": "Kerbrume"})
    assert response.status_code == 200
    assert PHONE_ERROR in field_errors(response, "guardian_form", "mobile_phone")[0]
    assert "Code postal invalide" in field_errors(response, "address_form", "postal_code")[0]
    text = page_text(response)
    assert PHONE_ERROR in text and "Code postal invalide" in text
    guardian.refresh_from_db()
    family.refresh_from_db()
    assert (guardian.mobile_phone, family.postal_code) == ("06 12 34 56 78", "56000")


def test_the_profile_stores_the_number_in_one_spelling(parent_client, guardian):
    response = parent_client.post(PROFILE, {
        "first_name": guardian.first_name, "last_name": guardian.last_name,
        "relation": guardian.relation, "mobile_phone": "+33 7 81 11 22 33",
        "home_phone": "0297001122", "work_phone": "0044 20 7946 0958",
        "address": "1 rue des Écoles", "postal_code": "56000", "city": "Kerbrume"})
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert (guardian.mobile_phone, guardian.home_phone, guardian.work_phone) == (
        "07 81 11 22 33", "02 97 00 11 22", "+44 20 7946 0958")


def test_an_emergency_contact_needs_a_whole_number(parent_client, family, child):
    response = parent_client.post("/famille/entourage/ajouter/", {
        "first_name": "Josiane", "last_name": "Le Goff", "relation": "grand-mère",
        "phone": "0612", "can_pick_up": "on", "emergency_contact": "on",
        "children": [child.pk]})
    assert response.status_code == 200
    assert PHONE_ERROR in field_errors(response, "form", "phone")[0]
    assert not Contact.objects.exists()


@pytest.mark.parametrize(("born", "message"), [
    ("1890-05-01", "Date de naissance improbable"),
    ("2099-01-01", "ne peut pas être dans le futur"),
])
def test_a_child_born_in_1890_or_to_come_is_refused(parent_client, family, born, message):
    response = parent_client.post("/famille/enfants/ajouter/", {
        "first_name": "Léa", "last_name": "Martin", "birth_date": born, "sex": "F",
        "school": "", "school_class": ""})
    assert response.status_code == 200
    assert message in field_errors(response, "form", "birth_date")[0]
    assert message in page_text(response)
    assert not Child.objects.exists()


@pytest.mark.django_db
def test_the_counter_refuses_the_same_mistakes():
    agent = StaffFactory()
    response = login(agent).post(COUNTER_PAGE, counter_form(**{
        "family-postal_code": "ABCDE", "g1-home_phone": "pas un numéro",
        "c1-birth_date": "1890-05-04"}))
    assert response.status_code == 400
    text = page_text(response)
    assert "Code postal invalide" in text
    assert PHONE_ERROR in text
    assert "Date de naissance improbable" in text
    assert not Family.objects.exists()


@pytest.mark.django_db
def test_the_counter_stores_the_number_in_one_spelling():
    response = login(StaffFactory()).post(COUNTER_PAGE, counter_form(**{
        "g1-home_phone": "02.97.00.11.22", "g1-mobile_phone": "+33781112233"}))
    assert response.status_code == 302
    guardian = Guardian.objects.get()
    assert (guardian.home_phone, guardian.mobile_phone) == ("02 97 00 11 22", "07 81 11 22 33")


@pytest.mark.django_db
def test_the_migration_respells_what_parses_and_keeps_the_rest():
    migration = importlib.import_module(
        "familles.migrations.0008_validated_contact_data_and_family_names")
    family = FamilyFactory(name="Famille Le Goff")
    guardian = GuardianFactory(family=family, last_name="Le Goff", mobile_phone="0612345678",
                               home_phone="pas un numéro")
    contact = ContactFactory(family=family, phone="+33 2 97 00 11 22")
    Guardian.objects.filter(pk=guardian.pk).update(mobile_phone="0612345678")
    Contact.objects.filter(pk=contact.pk).update(phone="+33 2 97 00 11 22")
    migration.normalise_and_name(apps, None)
    guardian.refresh_from_db()
    contact.refresh_from_db()
    assert (guardian.mobile_phone, guardian.home_phone) == ("06 12 34 56 78", "pas un numéro")
    assert contact.phone == "02 97 00 11 22"


@pytest.mark.django_db
def test_the_migration_lets_default_names_follow_and_keeps_typed_ones():
    """Issue 23, item 9: « Famille » and the first surname was the old default: it follows the
    guardians from now on; any other name was typed by someone and is kept."""
    migration = importlib.import_module(
        "familles.migrations.0008_validated_contact_data_and_family_names")
    default = FamilyFactory(name="Famille Le Goff")
    GuardianFactory(family=default, last_name="Le Goff")
    GuardianFactory(family=default, last_name="Rivière")
    typed = FamilyFactory(name="Les Le Goff de Kerbrume")
    GuardianFactory(family=typed, last_name="Le Goff")
    migration.normalise_and_name(apps, None)
    default.refresh_from_db()
    typed.refresh_from_db()
    assert (default.name, default.name_set_by_staff) == ("Famille Le Goff-Rivière", False)
    assert (typed.name, typed.name_set_by_staff) == ("Les Le Goff de Kerbrume", True)
