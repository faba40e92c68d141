"""Staff and attestations, through the admin: prepare the year's drafts, check them, publish
them (a separate permission, which e-mails the families), issue one for a family at the desk
with a French answer to a bad request, download the PDF; a staff member who may only read
attestations cannot publish."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from facturation.models import Attestation
from ground.models import OutboxMessage
from tests.helpers import visible_text
from tests.scenarios.accounts import UserFactory
from tests.scenarios.attestations import YEAR, catalogue, issued, paid
from tests.scenarios.families import ChildFactory, GuardianFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:facturation_attestation_changelist")
PREPARE = reverse("admin:facturation_attestation_prepare")
ISSUE = reverse("admin:facturation_attestation_issue")


@pytest.fixture
def cat(db):
    return catalogue()


@pytest.fixture
def household(cat):
    guardian = GuardianFactory(family__name="Famille Rivière", user__email="riviere@example.org")
    lina = ChildFactory(family=guardian.family, first_name="Lina",
                        birth_date=datetime.date(2021, 9, 9))
    paid(issued(guardian.family, [(lina, cat.day, 4, 1000)], 2), 4000, datetime.date(YEAR, 3, 1))
    return guardian.family


def test_staff_prepare_check_and_publish_the_years_drafts(staff_client, household):
    response = staff_client.post(PREPARE, {"year": YEAR})
    assert response.status_code == 302
    draft = Attestation.objects.get()
    assert draft.state == Attestation.State.DRAFT and draft.total_cents == 3200

    listing = visible_text(staff_client.get(response["Location"]))
    assert "Famille Rivière" in listing and "32,00 €" in listing and "brouillon" in listing
    page = visible_text(staff_client.get(
        reverse("admin:facturation_attestation_change", args=[draft.pk])))
    assert "Lina" in page and "32,00 €" in page
    assert not OutboxMessage.objects.exists()

    staff_client.post(LIST, {"action": "publish_selected", "_selected_action": [draft.pk]})

    draft.refresh_from_db()
    assert draft.state == Attestation.State.ISSUED and draft.number
    assert OutboxMessage.objects.get().to == ["riviere@example.org"]
    pdf = staff_client.get(reverse("admin:facturation_attestation_pdf", args=[draft.pk]))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_staff_issue_for_a_family_and_get_french_answers(staff_client, household, cat):
    tom = ChildFactory(family=household, first_name="Tom", birth_date=datetime.date(2015, 1, 1))

    refused = staff_client.post(ISSUE, {"family": household.pk, "kind": "presence",
                                        "child": tom.pk, "first": f"{YEAR}-03-01",
                                        "last": f"{YEAR}-03-31"})
    assert refused.status_code == 400
    assert "Aucune présence de Tom n'est pointée du 1er mars" in visible_text(refused)

    response = staff_client.post(ISSUE, {"family": household.pk, "kind": "payments",
                                         "year": YEAR})
    statement = Attestation.objects.get()
    assert response.status_code == 302 and statement.kind == Attestation.Kind.PAYMENTS
    assert OutboxMessage.objects.get(template="attestation_issued").to == [
        "riviere@example.org"]


def test_reading_attestations_does_not_allow_publishing_them(client, household):
    reader = UserFactory(is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(
        content_type__app_label="facturation",
        codename__in=["view_attestation", "add_attestation"]))
    client.force_login(reader)
    client.post(PREPARE, {"year": YEAR})
    draft = Attestation.objects.get()

    listing = client.get(LIST)
    assert listing.status_code == 200
    assert "publish_selected" not in listing.content.decode()
    client.post(LIST, {"action": "publish_selected", "_selected_action": [draft.pk]})
    assert client.get(ISSUE).status_code == 403

    draft.refresh_from_db()
    assert draft.state == Attestation.State.DRAFT
    assert not OutboxMessage.objects.exists()
