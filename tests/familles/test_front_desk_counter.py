"""Families without a login: an agent creates them at the counter, and later invites a
guardian to claim his access (a link that expires and serves once)."""

import datetime
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from familles.counter import claim_path
from familles.models import Family, FamilyEvent, Guardian
from ground.models import OutboxMessage
from tests.helpers import flash_messages, page_text, png_bytes
from tests.scenarios.accounts import (
    PASSWORD,
    StaffFactory,
    UserFactory,
    login,
    password_login,
    staff_without,
)
from tests.scenarios.counter import COUNTER_PAGE, FAMILY_PAGE, counter_family, counter_form
from tests.scenarios.families import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "un-mot-de-passe-bien-long-2026"


@pytest.fixture
def agent():
    return StaffFactory(first_name="Anne", last_name="Guichet")


def test_an_agent_creates_a_family_whose_guardian_has_no_e_mail(agent):
    response = login(agent).post(COUNTER_PAGE, counter_form())
    family = Family.objects.get(name="Famille Le Goff")
    assert response.status_code == 302
    assert response.url == FAMILY_PAGE.format(family.pk)
    guardian = Guardian.objects.get(family=family)
    assert guardian.user is None and guardian.email == ""
    assert [c.first_name for c in family.children.all()] == ["Maël"]
    event = FamilyEvent.objects.get(family=family)
    assert (event.actor, event.channel) == (agent, FamilyEvent.Channel.COUNTER)
    assert not OutboxMessage.objects.exists()  # nobody to e-mail


def test_the_family_page_marks_the_guardian_without_e_mail_as_served_by_letter(agent):
    family = counter_family(agent)
    page = page_text(login(agent).get(FAMILY_PAGE.format(family.pk)))
    assert "Yvonne Le Goff" in page and "courrier" in page
    assert "Inviter à créer son accès" in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"g1-home_phone": "", "family-address": ""},
     "Pour joindre Yvonne Le Goff, indiquez un numéro de téléphone ou l'adresse complète"),
    ({"g1-last_name": ""}, "Indiquez le prénom et le nom de chaque responsable légal."),
    ({"g1-email": "pris@example.org"}, "L'adresse pris@example.org est déjà celle d'un compte"),
])
def test_creation_is_refused_in_french_and_nothing_is_written(agent, overrides, message):
    UserFactory(email="pris@example.org")
    response = login(agent).post(COUNTER_PAGE, counter_form(**overrides))
    assert response.status_code == 400
    assert message in page_text(response)
    assert not Family.objects.exists()
    assert not Guardian.objects.exists()


def test_a_phone_alone_or_an_address_alone_is_enough(agent):
    client = login(agent)
    client.post(COUNTER_PAGE, counter_form(**{"family-address": ""}))
    client.post(COUNTER_PAGE, counter_form(**{"g1-home_phone": "", "g1-last_name": "Autre"}))
    assert Family.objects.count() == 2


def test_creating_a_family_needs_the_add_permissions():
    agent = staff_without("add_family")
    client = login(agent)
    assert client.get(COUNTER_PAGE).status_code == 403
    assert client.post(COUNTER_PAGE, counter_form()).status_code == 403
    assert not Family.objects.exists()


def claim_link(body: str) -> str:
    return re.search(r"http://testserver(/famille/acces/\S+/)", body).group(1)


def test_invitation_to_claim_then_the_parent_logs_in_and_sees_his_family(
        agent, client, django_capture_on_commit_callbacks):
    family = counter_family(agent)
    guardian = family.guardians.get()
    staff = login(agent)
    claim_page = f"/gestion/familles/guardian/{guardian.pk}/acces/"
    # An address is needed, and it must be nobody's login yet.
    assert staff.post(claim_page, {"email": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(claim_page + f"?next={FAMILY_PAGE.format(family.pk)}",
                              {"email": "Yvonne.LeGoff@Example.org"}, follow=True)
    assert "Le lien pour créer son accès est envoyé à Yvonne Le Goff." in flash_messages(
        response)
    guardian.refresh_from_db()
    assert guardian.user.email == "yvonne.legoff@example.org"
    assert not guardian.user.has_usable_password()
    message = OutboxMessage.objects.get(template="account_claim")
    # The link is a key to the family: sealed in the outbox, then dropped once sent.
    assert message.content == OutboxMessage.Content.SECRET and message.body_text == ""
    [sent] = mail.outbox
    assert sent.to == ["yvonne.legoff@example.org"]
    link = claim_link(sent.body)
    assert link not in page_text(staff.get(FAMILY_PAGE.format(family.pk)))

    assert client.get(link).status_code == 200
    weak = client.post(link, {"new_password1": "court", "new_password2": "court"})
    assert weak.status_code == 400
    done = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    # The same link never serves twice.
    assert client.get(link).status_code == 404
    again = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert again.status_code == 404

    logged = password_login(client, "yvonne.legoff@example.org", NEW_PASSWORD)
    assert logged.status_code == 302
    home = client.get("/famille/")
    assert home.status_code == 200
    assert "Maël" in page_text(home)
    history = page_text(client.get("/famille/historique/"))
    assert "Invitation à créer son accès envoyée à Yvonne Le Goff" in history
    assert "Yvonne Le Goff a créé son accès au portail" in history


def test_an_expired_link_is_refused(agent, client, settings, time_machine,
                                    django_capture_on_commit_callbacks):
    family = counter_family(agent, email="yvonne@example.org")
    guardian = family.guardians.get()
    with django_capture_on_commit_callbacks(execute=True):
        login(agent).post(f"/gestion/familles/guardian/{guardian.pk}/acces/", {})
    link = claim_link(mail.outbox[0].body)
    # A day past the limit (the token counts in local time, the clock moves in UTC).
    time_machine.move_to(timezone.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT, days=1))
    response = client.get(link)
    assert response.status_code == 404
    assert "Ce lien n'est plus valable" in page_text(response)


def test_a_guardian_with_an_access_is_not_invited_again(agent, guardian):
    response = login(agent).post(f"/gestion/familles/guardian/{guardian.pk}/acces/", {})
    assert response.status_code == 400
    assert "a déjà un accès au portail" in page_text(response)
    assert not OutboxMessage.objects.filter(template="account_claim").exists()


def test_created_with_an_e_mail_the_guardian_gets_his_link_at_once(
        agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        login(agent).post(COUNTER_PAGE, counter_form(**{"g1-email": "yvonne@example.org"}))
    [sent] = mail.outbox
    assert sent.to == ["yvonne@example.org"]
    assert "/famille/acces/" in sent.body


def test_the_admin_add_form_leads_to_the_counter_page(agent):
    response = login(agent).get("/gestion/familles/family/add/")
    assert response.status_code == 302 and response.url == COUNTER_PAGE
    assert login(agent).get("/gestion/familles/guardian/add/").status_code == 403


def test_staff_cannot_give_a_guardian_another_login_or_household_in_the_admin():
    """A login or a household typed in the guardian's form would open a family to whoever
    holds it: both are read only, whatever the POST says."""
    guardian = GuardianFactory(user=None)
    intruder, elsewhere = UserFactory(), FamilyFactory()
    client = login(StaffFactory())
    url = f"/gestion/familles/guardian/{guardian.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {
        "user": intruder.pk, "family": elsewhere.pk, "first_name": "Yvonne",
        "last_name": "Le Goff", "relation": "mother", "mobile_phone": "06 00 00 00 00",
        "home_phone": "", "work_phone": ""})
    assert response.status_code == 302
    guardian = Guardian.objects.get(pk=guardian.pk)
    assert guardian.user is None and guardian.family_id != elsewhere.pk
    assert guardian.mobile_phone == "06 00 00 00 00"


def test_a_claim_link_opens_no_account_but_a_guardians(agent, client):
    """A well-formed claim token for a staff login (no guardian) is refused like a bad one."""
    link = claim_path(agent)
    assert client.get(link).status_code == 404
    assert client.post(link, {"new_password1": NEW_PASSWORD,
                              "new_password2": NEW_PASSWORD}).status_code == 404
    agent.refresh_from_db()
    assert not agent.check_password(NEW_PASSWORD)


def test_the_journal_of_a_health_document_received_at_the_counter_names_no_health_matter(
        agent):
    family = FamilyFactory()
    child = ChildFactory(family=family, first_name="Lou")
    response = login(agent).post(f"/gestion/familles/family/{family.pk}/document/", {
        "kind": "pai", "child": child.pk,
        "file": SimpleUploadedFile("pai.png", png_bytes(), content_type="image/png")})
    assert response.status_code == 302
    event = FamilyEvent.objects.get(family=family, summary__startswith="Document")
    assert event.summary == "Document reçu au guichet (Lou)"
    # Staff without the health permission read the family's journal on its page.
    page = page_text(login(staff_without("view_health_document")).get(
        f"/gestion/familles/family/{family.pk}/change/"))
    assert "Document reçu au guichet (Lou)" in page
    assert "PAI" not in page and "accueil individualisé" not in page
