"""A family's name follows its guardians (« Famille Martin », « Famille Martin-Dupont »)
unless staff set one (issue 23, item 9)."""

import pytest
from django.test import Client

from familles.models import Family, Invitation
from familles.names import name_from_surnames
from tests.helpers import page_text
from tests.scenarios.accounts import StaffFactory, UserFactory, login
from tests.scenarios.counter import COUNTER_PAGE, counter_form
from tests.scenarios.families import GuardianFactory

PROFILE = "/famille/profil/"


def profile_data(guardian, **overrides):
    data = {"first_name": guardian.first_name, "last_name": guardian.last_name,
            "relation": guardian.relation, "mobile_phone": guardian.mobile_phone,
            "home_phone": "", "work_phone": "", "address": "1 rue des Écoles",
            "postal_code": "56000", "city": "Kerbrume"}
    data.update(overrides)
    return data


def test_the_name_is_made_of_the_distinct_surnames():
    assert name_from_surnames(["Martin"]) == "Famille Martin"
    assert name_from_surnames(["Martin", "Dupont"]) == "Famille Martin-Dupont"
    assert name_from_surnames(["Martin", " martin "]) == "Famille Martin"
    assert name_from_surnames(["Le  Goff", ""]) == "Famille Le Goff"


def test_onboarding_names_the_family_after_its_first_guardian(client, db):
    user = UserFactory()
    client.force_login(user)
    client.post("/famille/creer/", {
        "first_name": "Awa", "last_name": "Diallo", "relation": "mother",
        "mobile_phone": "06 11 22 33 44", "home_phone": "", "work_phone": "",
        "address": "3 rue du Port", "postal_code": "56880", "city": "Kerbrume"})
    family = Family.objects.get()
    assert (family.name, family.name_set_by_staff) == ("Famille Diallo", False)


def test_the_name_follows_a_surname_changed_in_the_profile(parent_client, guardian, family):
    response = parent_client.post(PROFILE, profile_data(guardian, last_name="Kerjean"),
                                  follow=True)
    family.refresh_from_db()
    assert family.name == "Famille Kerjean"
    assert "Famille Kerjean" in page_text(parent_client.get("/famille/"))
    assert response.status_code == 200


def test_the_second_guardian_adds_his_surname(parent_client, guardian, family):
    Family.objects.filter(pk=family.pk).update(name=f"Famille {guardian.last_name}")
    invitation = Invitation.objects.create(family=family, email="sam@example.org",
                                           invited_by=guardian)
    invitee = Client()
    invitee.force_login(UserFactory(email="sam@example.org"))
    response = invitee.post(f"/famille/invitation/{invitation.token}/", {
        "first_name": "Sam", "last_name": "Dupont", "relation": "father",
        "mobile_phone": "07 81 11 22 33", "home_phone": "", "work_phone": ""})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.name == f"Famille {guardian.last_name}-Dupont"


def test_a_name_set_by_staff_is_kept(parent_client, guardian, family):
    Family.objects.filter(pk=family.pk).update(name="Famille Le Gall (grands-parents)",
                                               name_set_by_staff=True)
    parent_client.post(PROFILE, profile_data(guardian, last_name="Kerjean"))
    family.refresh_from_db()
    assert family.name == "Famille Le Gall (grands-parents)"


@pytest.mark.django_db
def test_the_counter_names_the_family_after_both_guardians_or_as_typed():
    agent = login(StaffFactory())
    agent.post(COUNTER_PAGE, counter_form(**{
        "g2-first_name": "Paul", "g2-last_name": "Rivière", "g2-relation": "father"}))
    family = Family.objects.get()
    assert (family.name, family.name_set_by_staff) == ("Famille Le Goff-Rivière", False)
    agent.post(COUNTER_PAGE, counter_form(**{"family-name": "Famille Le Goff (tante)"}))
    typed = Family.objects.exclude(pk=family.pk).get()
    assert (typed.name, typed.name_set_by_staff) == ("Famille Le Goff (tante)", True)


def admin_form_data(response) -> dict:
    """The admin's change form as a browser posts it unchanged: the family's fields and each
    inline's management form and rows (the fields each shows)."""
    data = {}
    forms = [response.context["adminform"].form] + [
        form for inline in response.context["inline_admin_formsets"]
        for form in [inline.formset.management_form, *inline.formset.forms]]
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


@pytest.mark.django_db
def test_staff_set_a_name_in_the_admin_and_give_it_back_to_the_guardians():
    guardian = GuardianFactory(last_name="Martin")
    family = guardian.family
    Family.objects.filter(pk=family.pk).update(name="Famille Martin")
    client = login(StaffFactory())
    url = f"/gestion/familles/family/{family.pk}/change/"
    data = admin_form_data(client.get(url))
    response = client.post(url, {**data, "name": "Famille Martin (oncle)"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert (family.name, family.name_set_by_staff) == ("Famille Martin (oncle)", True)

    data = admin_form_data(client.get(url))
    data.pop("name_set_by_staff")
    client.post(url, data)
    family.refresh_from_db()
    assert (family.name, family.name_set_by_staff) == ("Famille Martin", False)
