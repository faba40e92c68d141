"""The entourage: people allowed to pick a child up or to be called in an emergency."""

from familles.models import Contact
from tests.helpers import flash_messages, page_text
from tests.scenarios.families import ChildFactory, ContactFactory

ADD = "/famille/entourage/ajouter/"


def contact_data(children, **overrides):
    data = {"first_name": "Josiane", "last_name": "Le Goff", "relation": "grand-mère",
            "phone": "02 97 00 00 00", "can_pick_up": "on", "emergency_contact": "on",
            "children": [c.pk for c in children]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_add_a_contact_for_some_children(parent_client, family, child):
    sibling = ChildFactory(family=family, first_name="Tom")
    form = page_text(parent_client.get(ADD))
    assert "Lou" in form and "Tom" in form

    response = parent_client.post(ADD, contact_data([child], emergency_contact=None),
                                  follow=True)
    assert response.redirect_chain == [("/famille/entourage/", 302)]
    assert "L'entourage est à jour." in flash_messages(response)
    contact = Contact.objects.get()
    assert contact.family == family
    assert list(contact.children.all()) == [child]
    assert (contact.can_pick_up, contact.emergency_contact) == (True, False)
    text = page_text(response)
    assert "Josiane Le Goff" in text and "peut venir chercher" in text
    assert "à appeler en cas d'urgence</span>" not in text
    assert sibling.first_name not in text.split("Josiane Le Goff", 1)[1]


def test_edit_a_contact(parent_client, family, child):
    sibling = ChildFactory(family=family, first_name="Tom")
    contact = ContactFactory(family=family, children=[child])
    url = f"/famille/entourage/{contact.pk}/modifier/"
    assert 'value="Jeanne"' in page_text(parent_client.get(url))
    response = parent_client.post(url, contact_data([child, sibling], first_name="Jeanne",
                                                    last_name="Voisine", phone="06 99 99 99 99",
                                                    can_pick_up=None))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "06 99 99 99 99"
    assert (contact.can_pick_up, contact.emergency_contact) == (False, True)
    assert set(contact.children.all()) == {child, sibling}
    assert Contact.objects.count() == 1


def test_delete_a_contact(parent_client, family, child):
    contact = ContactFactory(family=family, children=[child])
    url = f"/famille/entourage/{contact.pk}/supprimer/"
    confirm = page_text(parent_client.get(url))
    assert "Retirer Jeanne Voisine de l'entourage ?" in confirm
    assert Contact.objects.filter(pk=contact.pk).exists()  # asking is not deleting
    response = parent_client.post(url, follow=True)
    assert "Jeanne Voisine ne fait plus partie de votre entourage." in flash_messages(response)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert "Personne pour l'instant." in page_text(response)


def test_a_contact_needs_at_least_one_child(parent_client, child):
    response = parent_client.post(ADD, contact_data([]))
    assert response.status_code == 200
    assert "Choisissez au moins un enfant concerné." in page_text(response)
    assert not Contact.objects.exists()


def test_a_contact_needs_a_role(parent_client, child):
    response = parent_client.post(ADD, contact_data([child], can_pick_up=None,
                                                    emergency_contact=None))
    assert response.status_code == 200
    text = page_text(response)
    assert ("Indiquez si cette personne peut venir chercher l'enfant, être appelée en cas "
            "d'urgence, ou les deux.") in text
    assert "contrainte" not in text  # no database jargon for parents
    assert not Contact.objects.exists()


def test_missing_fields_are_refused_in_french(parent_client, child):
    response = parent_client.post(ADD, contact_data([child], first_name="", phone=""))
    assert page_text(response).count("Ce champ est obligatoire.") == 2
    assert not Contact.objects.exists()


def test_children_of_another_family_cannot_be_chosen(parent_client, family, child,
                                                     other_child):
    form = page_text(parent_client.get(ADD))
    assert other_child.first_name not in form

    response = parent_client.post(ADD, contact_data([other_child]))
    assert response.status_code == 200
    assert (f"Sélectionnez un choix valide. {other_child.pk} n’en fait pas partie."
            in page_text(response))
    # Mixed with one of his own: still refused as a whole.
    response = parent_client.post(ADD, contact_data([child, other_child]))
    assert response.status_code == 200
    assert not Contact.objects.exists()
    assert not other_child.contacts.exists()


def test_shared_custody_child_can_be_chosen_by_the_second_home(parent_client, family,
                                                               other_family):
    shared = ChildFactory(family=other_family, second_family=family, first_name="Inès")
    response = parent_client.post(ADD, contact_data([shared]))
    assert response.status_code == 302
    assert list(Contact.objects.get(family=family).children.all()) == [shared]
