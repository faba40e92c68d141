"""A new parent's first steps: from the home page to his family and his first child."""

from django.urls import reverse

from familles.models import Family, Guardian
from tests.helpers import flash_messages, page_text
from tests.scenarios.accounts import PASSWORD, UserFactory

ONBOARDING = "/famille/creer/"


def valid_onboarding(**overrides):
    data = {
        "first_name": "Awa", "last_name": "Diallo", "relation": "mother",
        "mobile_phone": "06 11 22 33 44", "home_phone": "", "work_phone": "",
        "address": "3 rue du Port", "postal_code": "56880", "city": "Kerbrume",
    }
    data.update(overrides)
    return data


def test_new_user_logging_in_is_sent_to_create_his_family(client, db):
    user = UserFactory(email="awa.diallo@example.org")
    response = client.post(reverse("account_login"),
                           {"login": "awa.diallo@example.org", "password": PASSWORD},
                           follow=True)
    assert response.redirect_chain[-1][0] == ONBOARDING
    assert response.status_code == 200
    assert "Présentez votre famille" in page_text(response)
    assert client.get("/").url == ONBOARDING
    # Every family page also leads there, rather than failing.
    assert client.get("/famille/").url == ONBOARDING
    assert client.get("/documents/").url == ONBOARDING
    assert not Guardian.objects.filter(user=user).exists()


def test_creating_the_family_leads_to_adding_a_child(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(ONBOARDING, valid_onboarding(), follow=True)

    assert response.redirect_chain[0] == ("/famille/enfants/ajouter/", 302)
    assert "Ajouter un enfant" in page_text(response)
    assert "Votre famille est créée. Ajoutez maintenant vos enfants." in flash_messages(response)
    guardian = Guardian.objects.get(user=user)
    assert (guardian.first_name, guardian.last_name, guardian.mobile_phone) == (
        "Awa", "Diallo", "06 11 22 33 44")
    family = guardian.family
    assert family.name == "Famille Diallo"
    assert (family.address, family.postal_code, family.city) == (
        "3 rue du Port", "56880", "Kerbrume")
    # From now on the home page is the dashboard.
    home = client.get("/")
    assert home.status_code == 200
    assert "Mon tableau de bord" in page_text(home)
    assert "Famille Diallo" in page_text(home)


def test_missing_fields_are_refused_in_french(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(ONBOARDING, valid_onboarding(first_name="", last_name="",
                                                        mobile_phone=""))
    assert response.status_code == 200
    text = page_text(response)
    assert text.count("Ce champ est obligatoire.") == 3
    # What the parent typed is kept.
    assert 'value="3 rue du Port"' in text
    assert not Family.objects.exists()
    assert not Guardian.objects.filter(user=user).exists()


def test_a_guardian_cannot_create_a_second_family(parent_client, guardian):
    assert parent_client.get(ONBOARDING).url == "/"
    response = parent_client.post(ONBOARDING, valid_onboarding(last_name="Bis"))
    assert response.status_code == 200
    assert "Votre compte est déjà rattaché à une famille." in page_text(response)
    assert Family.objects.count() == 1
    guardian.refresh_from_db()
    assert guardian.last_name != "Bis"


def test_onboarding_needs_a_login(client, db):
    response = client.get(ONBOARDING)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
