"""Messages to families in the admin, through HTTP: write a draft, see who it reaches (count
and list, by e-mail or by letter), send it once; each step behind its permission."""

import pytest
from django.urls import reverse

from ground.models import OutboxMessage
from portail import messaging
from portail.models import Message, MessageDelivery
from tests.scenarios.accounts import login, staff_without
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.messages import MessageFactory, enrolled_household

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def change_url(message):
    return reverse("admin:portail_message_change", args=[message.pk])


def send_url(message):
    return reverse("admin:portail_message_send", args=[message.pk])


@pytest.fixture
def activity():
    return ActivityFactory(name="Accueil du mercredi")


@pytest.fixture
def reached(activity):
    return [enrolled_household(activity, family__name=name)
            for name in ("Famille Abalain", "Famille Berthou")]


@pytest.fixture
def outsider():
    return enrolled_household(ActivityFactory(), family__name="Famille Cloarec")


def test_staff_write_a_draft_then_see_count_and_list_then_send(
        staff_client, staff_user, activity, reached, outsider,
        django_capture_on_commit_callbacks):
    response = staff_client.post(reverse("admin:portail_message_add"), {
        "kind": "closure", "subject": "Fermeture le 12 mars",
        "body": "L'accueil sera fermé pour travaux.", "audience": "activity",
        "activity": activity.pk, "_save": "Enregistrer"})
    message = Message.objects.get()
    assert response.status_code == 302 and response["Location"] == change_url(message)
    assert (message.created_by, message.state) == (staff_user, Message.State.DRAFT)

    page = staff_client.get(change_url(message))
    html = page.content.decode()
    assert "2 familles" in html and "2 par e-mail, 0 par courrier à imprimer" in html
    assert "Famille Abalain" in html and "Famille Berthou" in html
    assert "Famille Cloarec" not in html
    assert send_url(message) in html

    assert staff_client.get(send_url(message)).status_code == 302  # a GET sends nothing
    assert not MessageDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(send_url(message), follow=True)
    assert "Message envoyé à 2 familles" in response.content.decode()
    assert OutboxMessage.objects.filter(template=messaging.TEMPLATE).count() == 2

    # Sent: a record, no longer a form, with the families it went to.
    page = staff_client.get(change_url(message)).content.decode()
    assert "Familles à qui le message a été envoyé" in page and "Famille Abalain" in page
    assert send_url(message) not in page
    edit = staff_client.post(change_url(message), {
        "kind": "closure", "subject": "Autre", "body": "Autre", "audience": "activity",
        "activity": activity.pk})
    assert edit.status_code == 403
    assert Message.objects.get().subject == "Fermeture le 12 mars"

    # Twice: refused, in French, and nothing more written.
    again = staff_client.post(send_url(message), follow=True).content.decode()
    assert "déjà été envoyé" in again
    assert OutboxMessage.objects.filter(template=messaging.TEMPLATE).count() == 2


def test_the_audience_needs_what_it_names(staff_client):
    response = staff_client.post(reverse("admin:portail_message_add"), {
        "kind": "strike", "subject": "Grève", "body": "Service minimum.",
        "audience": "day", "_save": "Enregistrer"})
    assert response.status_code == 200
    assert "Indiquez le jour des réservations." in response.content.decode()
    assert not Message.objects.exists()


def test_details_of_another_audience_are_not_kept(staff_client, activity):
    staff_client.post(reverse("admin:portail_message_add"), {
        "kind": "menu", "subject": "Menus de mars", "body": "En pièce jointe.",
        "audience": "unpaid", "activity": activity.pk, "_save": "Enregistrer"})
    assert Message.objects.get().activity is None


def test_sending_needs_its_own_permission(activity, reached):
    message = MessageFactory(activity=activity)
    writer = login(staff_without("send_message"))
    page = writer.get(change_url(message))
    assert page.status_code == 200
    assert "ne permet pas d'envoyer" in page.content.decode()
    assert writer.post(send_url(message)).status_code == 403
    assert not MessageDelivery.objects.exists()


@pytest.mark.parametrize("codename, url", [
    ("add_message", lambda m: reverse("admin:portail_message_add")),
    ("view_message", lambda m: reverse("admin:portail_message_changelist")),
])
def test_writing_and_reading_need_their_permissions(codename, url, activity):
    message = MessageFactory(activity=activity)
    codenames = [codename] + (["change_message"] if codename == "view_message" else [])
    assert login(staff_without(*codenames)).get(url(message)).status_code == 403


def test_a_parent_never_reaches_the_messages_admin(parent_client, activity):
    message = MessageFactory(activity=activity)
    for url in (change_url(message), reverse("admin:portail_message_changelist")):
        response = parent_client.get(url)
        assert response.status_code == 302 and "/gestion/login/" in response["Location"]
    response = parent_client.post(send_url(message))
    assert response.status_code == 302 and not MessageDelivery.objects.exists()
