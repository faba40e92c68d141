"""Profile: the guardian's details and the household's address, with a history of changes."""

from familles.models import Family, Guardian
from tests.helpers import flash_messages, page_text

PROFILE = "/famille/profil/"


def profile_data(guardian, **overrides):
    data = {"first_name": guardian.first_name, "last_name": guardian.last_name,
            "relation": guardian.relation, "mobile_phone": guardian.mobile_phone,
            "home_phone": "", "work_phone": "", "address": "1 rue des Écoles",
            "postal_code": "56000", "city": "Kerbrume"}
    data.update(overrides)
    return data


def test_profile_shows_current_details(parent_client, guardian):
    text = page_text(parent_client.get(PROFILE))
    assert f'value="{guardian.last_name}"' in text
    assert 'value="06 12 34 56 78"' in text
    assert 'value="1 rue des Écoles"' in text


def test_edit_profile_and_address(parent_client, guardian, family):
    response = parent_client.post(PROFILE, profile_data(
        guardian, mobile_phone="07 98 76 54 32", work_phone="02 97 11 11 11",
        address="8 impasse des Mouettes", postal_code="56880", city="Ploeren"), follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Votre profil est enregistré." in flash_messages(response)
    guardian.refresh_from_db()
    family.refresh_from_db()
    assert (guardian.mobile_phone, guardian.work_phone) == ("07 98 76 54 32", "02 97 11 11 11")
    assert (family.address, family.postal_code, family.city) == (
        "8 impasse des Mouettes", "56880", "Ploeren")
    assert 'value="8 impasse des Mouettes"' in page_text(response)


def test_history_records_who_changed_the_profile(parent_client, guardian, family):
    before_g = guardian.history.count()
    before_f = family.history.count()
    parent_client.post(PROFILE, profile_data(guardian, mobile_phone="07 98 76 54 32",
                                             city="Ploeren"))

    assert guardian.history.count() == before_g + 1
    latest = Guardian.history.filter(id=guardian.pk).latest()
    assert latest.history_user == guardian.user
    assert latest.mobile_phone == "07 98 76 54 32"
    assert latest.prev_record.mobile_phone == "06 12 34 56 78"

    assert family.history.count() == before_f + 1
    latest_family = Family.history.filter(id=family.pk).latest()
    assert latest_family.history_user == guardian.user
    assert latest_family.city == "Ploeren"
    assert latest_family.prev_record.city == "Kerbrume"


def test_invalid_profile_is_refused_and_nothing_changes(parent_client, guardian, family):
    before = family.history.count()
    response = parent_client.post(PROFILE, profile_data(guardian, mobile_phone="",
                                                        city="Ploeren"))
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in page_text(response)
    family.refresh_from_db()
    assert family.city == "Kerbrume"
    assert family.history.count() == before


def test_second_guardian_changes_are_attributed_to_him(client_factory, second_guardian,
                                                       family):
    other = client_factory()
    other.force_login(second_guardian.user)
    other.post(PROFILE, profile_data(second_guardian, address="2 rue Neuve"))
    latest = Family.history.filter(id=family.pk).latest()
    assert latest.address == "2 rue Neuve"
    assert latest.history_user == second_guardian.user
