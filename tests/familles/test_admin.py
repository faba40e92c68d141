"""Staff work in the Django admin through the "Éducation Jeunesse" group, without superuser."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from familles.models import Document
from portail.staff import STAFF_GROUP_NAME
from tests.helpers import page_text, pdf_bytes
from tests.scenarios.accounts import UserFactory
from tests.scenarios.families import ChildFactory, ContactFactory, GuardianFactory

ADMIN = "/gestion/familles"


@pytest.fixture
def family_data(client_factory, guardian, family):
    """A family as a parent leaves it: a child, a contact, a document, a profile change."""
    child = ChildFactory(family=family, first_name="Maël", last_name="Le Floch")
    contact = ContactFactory(family=family, first_name="Yvette", children=[child])
    parent_client = client_factory()
    parent_client.force_login(guardian.user)
    parent_client.post("/documents/", {
        "kind": "vaccination", "child": child.pk,
        "file": SimpleUploadedFile("carnet.pdf", pdf_bytes())})
    parent_client.post("/famille/profil/", {
        "first_name": guardian.first_name, "last_name": guardian.last_name,
        "relation": guardian.relation, "mobile_phone": "07 81 07 07 07",
        "address": "9 rue du Lavoir", "postal_code": "56880", "city": "Kerbrume"})
    return {"family": family, "guardian": guardian, "child": child, "contact": contact,
            "document": Document.objects.get(family=family)}


def test_staff_is_not_superuser_but_in_the_group(staff_user):
    assert not staff_user.is_superuser
    assert list(staff_user.groups.values_list("name", flat=True)) == [STAFF_GROUP_NAME]


@pytest.mark.parametrize(("model", "count"), [
    ("family", 1), ("guardian", 1), ("child", 1), ("contact", 1), ("document", 1),
    ("invitation", 0), ("documentaccess", 0),
])
def test_staff_opens_the_changelists(staff_client, family_data, model, count):
    response = staff_client.get(f"{ADMIN}/{model}/")
    assert response.status_code == 200
    assert response.context["cl"].result_count == count


@pytest.mark.parametrize(("model", "key"), [
    ("family", "family"), ("guardian", "guardian"), ("child", "child"),
    ("contact", "contact"), ("document", "document"),
])
def test_staff_opens_change_and_history_pages(staff_client, family_data, model, key):
    obj = family_data[key]
    change = staff_client.get(f"{ADMIN}/{model}/{obj.pk}/change/")
    assert change.status_code == 200
    history = staff_client.get(f"{ADMIN}/{model}/{obj.pk}/history/")
    assert history.status_code == 200
    assert "Historique" in page_text(history)


def test_history_shows_who_changed_the_family(staff_client, family_data):
    family, guardian = family_data["family"], family_data["guardian"]
    text = page_text(staff_client.get(f"{ADMIN}/family/{family.pk}/history/"))
    assert guardian.user.email in text
    text = page_text(staff_client.get(f"{ADMIN}/guardian/{guardian.pk}/history/"))
    assert guardian.user.email in text


def test_family_page_lists_guardians_children_and_contacts(staff_client, family_data):
    text = page_text(staff_client.get(f"{ADMIN}/family/{family_data['family'].pk}/change/"))
    assert "Maël" in text and "Yvette" in text and family_data["guardian"].last_name in text
    assert 'value="9 rue du Lavoir"' in text


def test_changelist_search_finds_a_family_by_a_guardian_email(staff_client, family_data):
    GuardianFactory()  # another family, not to be found
    email = family_data["guardian"].user.email
    response = staff_client.get(f"{ADMIN}/family/", {"q": email})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [family_data["family"]]
    text = page_text(response)
    assert email in text
    assert "Nom de la famille" in text and "Responsables" in text  # French labels


def test_staff_opens_a_document_from_the_admin(staff_client, family_data):
    document = family_data["document"]
    text = page_text(staff_client.get(f"{ADMIN}/document/{document.pk}/change/"))
    link = f"/documents/{document.pk}/?voir=1"
    assert link in text
    response = staff_client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert document.accesses.count() == 1


def test_staff_outside_the_group_is_refused(client, family_data):
    outsider = UserFactory(is_staff=True, email="stagiaire@mairie.example")
    client.force_login(outsider)
    for url in (f"{ADMIN}/family/", f"{ADMIN}/family/{family_data['family'].pk}/change/",
                f"{ADMIN}/document/", f"{ADMIN}/child/{family_data['child'].pk}/history/"):
        assert client.get(url).status_code == 403, url


def test_parents_cannot_enter_the_admin(parent_client):
    response = parent_client.get(f"{ADMIN}/family/")
    assert response.status_code == 302
    assert "/login/" in response.url


def test_group_gives_daily_work_but_no_destruction(staff_user):
    codenames = set(Group.objects.get(name=STAFF_GROUP_NAME).permissions.values_list(
        "codename", flat=True))
    assert {"view_family", "change_family", "change_guardian", "add_child", "change_child",
            "view_document", "view_health_document"} <= codenames
    # Families and guardians are never deleted from the admin; documents leave the vault only
    # through the parents' delete (which removes the file too), and enter it only through the
    # checked upload (the admin's own add form refuses: DocumentAdmin.has_add_permission).
    assert not {"delete_family", "delete_guardian", "delete_child", "delete_document"
                } & codenames
    assert "add_document" in codenames  # a paper received at the counter
    assert not staff_user.has_perm("familles.delete_family")


def test_staff_cannot_delete_a_family(staff_client, family_data):
    family = family_data["family"]
    response = staff_client.post(f"{ADMIN}/family/{family.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert type(family).objects.filter(pk=family.pk).exists()
