"""Children: added at any time, edited, and shared between the two homes of shared custody."""

import datetime

from django.utils import timezone

from familles.models import Child
from tests.helpers import flash_messages, page_text
from tests.scenarios.families import ChildFactory


def child_data(**overrides):
    data = {"first_name": "Léa", "last_name": "Martin", "birth_date": "2017-09-02",
            "sex": "F", "school": "École des Pins", "school_class": "CE2"}
    data.update(overrides)
    return data


def test_add_a_child(parent_client, family):
    form = parent_client.get("/famille/enfants/ajouter/")
    assert form.status_code == 200
    assert 'type="date"' in page_text(form)
    response = parent_client.post("/famille/enfants/ajouter/", child_data(), follow=True)
    assert response.redirect_chain == [("/famille/", 302)]
    assert "Léa Martin est enregistrée." in flash_messages(response)
    child = Child.objects.get()
    assert child.family == family
    assert child.second_family is None
    assert (child.birth_date, child.sex, child.school, child.school_class) == (
        datetime.date(2017, 9, 2), "F", "École des Pins", "CE2")
    text = page_text(response)
    assert "Léa Martin" in text and "2 septembre 2017" in text and "École des Pins, CE2" in text


def test_child_arriving_during_the_school_year_is_added_from_the_dashboard(parent_client,
                                                                          family, child):
    dashboard = page_text(parent_client.get("/"))
    assert ('<a href="/famille/enfants/ajouter/">J\'ai un enfant scolarisé en cours '
            "d'année : ajouter un enfant</a>") in dashboard
    parent_client.post("/famille/enfants/ajouter/",
                       child_data(first_name="Tom", school_class="CM1"))
    assert sorted(family.children.values_list("first_name", flat=True)) == ["Lou", "Tom"]
    dashboard = page_text(parent_client.get("/"))
    assert "Lou Martin" in dashboard and "Tom Martin" in dashboard


def test_edit_a_child(parent_client, child):
    page = parent_client.get(f"/famille/enfants/{child.pk}/modifier/")
    assert page.status_code == 200
    assert 'value="Lou"' in page_text(page)
    response = parent_client.post(f"/famille/enfants/{child.pk}/modifier/",
                                  child_data(first_name="Lou", last_name="Martin",
                                             school_class="CM2"))
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.school_class == "CM2"
    assert Child.objects.count() == 1


def test_birth_date_in_the_future_is_refused(parent_client, family, child):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = parent_client.post("/famille/enfants/ajouter/", child_data(birth_date=tomorrow))
    assert response.status_code == 200
    assert "La date de naissance ne peut pas être dans le futur." in page_text(response)
    assert list(Child.objects.all()) == [child]

    response = parent_client.post(f"/famille/enfants/{child.pk}/modifier/",
                                  child_data(first_name="Lou", birth_date=tomorrow))
    assert "La date de naissance ne peut pas être dans le futur." in page_text(response)
    child.refresh_from_db()
    assert child.birth_date == datetime.date(2018, 3, 14)


def test_missing_or_invalid_fields_are_refused_in_french(parent_client):
    response = parent_client.post("/famille/enfants/ajouter/",
                                  child_data(first_name="", sex="", birth_date="32/13/2018"))
    text = page_text(response)
    assert text.count("Ce champ est obligatoire.") == 2
    assert "Saisissez une date valide." in text
    assert not Child.objects.exists()


def test_shared_custody_child_is_seen_and_edited_by_the_second_home(
    parent_client, family, other_family, client_factory, other_guardian
):
    """Staff link the second home; each home's guardians then see and update the child."""
    child = ChildFactory(family=other_family, second_family=family, first_name="Inès",
                         last_name="Autre")

    assert "Inès Autre" in page_text(parent_client.get("/famille/"))
    assert "garde alternée" in page_text(parent_client.get("/famille/"))
    assert "Inès Autre" in page_text(parent_client.get("/"))
    response = parent_client.post(f"/famille/enfants/{child.pk}/modifier/",
                                  child_data(first_name="Inès", last_name="Autre",
                                             school_class="CE1"))
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.school_class == "CE1"
    # Still the first home's child, still shared: editing does not move it.
    assert (child.family, child.second_family) == (other_family, family)

    first_home = client_factory()
    first_home.force_login(other_guardian.user)
    assert "Inès Autre" in page_text(first_home.get("/famille/"))
    assert first_home.get(f"/famille/enfants/{child.pk}/modifier/").status_code == 200
