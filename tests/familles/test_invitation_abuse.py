"""Review finding 5: the invitation form must not be a way to send spam or phishing from the
commune's address. Invitations are limited per family (per 24 hours and open at once), the
e-mail's text is fixed (no name or text the sender typed), and staff see what was sent
without the acceptance link."""

import pytest
from django.core import mail
from django.utils import timezone

from familles.models import Invitation
from ground.models import OutboxMessage
from tests.helpers import flash_messages, page_text
from tests.scenarios.accounts import UserFactory

pytestmark = pytest.mark.django_db

PHISHING = "Compte CAF bloque, appelez le 08 99 00 00 00 ou https://caf-remboursement.example"


def invite(client, email):
    return client.post("/famille/inviter/", {"email": email}, follow=True)


def test_a_family_cannot_send_more_than_the_open_limit(parent_client, family, settings,
                                                       django_capture_on_commit_callbacks):
    settings.PORTAIL_INVITATIONS_OPEN_MAX = 3
    settings.PORTAIL_INVITATIONS_PER_DAY = 5
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            response = invite(parent_client, f"cible{n}@example.org")
            assert f"Invitation envoyée à cible{n}@example.org." in flash_messages(response)
        refused = invite(parent_client, "cible3@example.org")

    assert flash_messages(refused) == [
        "Vous avez déjà 3 invitations en attente : attendez qu'elles soient acceptées ou "
        "qu'elles expirent avant d'en envoyer une autre."]
    assert not Invitation.objects.filter(email="cible3@example.org").exists()
    assert [m.to for m in mail.outbox] == [[f"cible{n}@example.org"] for n in range(3)]


def test_a_family_cannot_send_more_than_the_daily_limit(parent_client, family, guardian,
                                                        settings):
    # Invitations the staff cancelled today still count: cancelling one does not reopen the tap.
    settings.PORTAIL_INVITATIONS_OPEN_MAX = 3
    settings.PORTAIL_INVITATIONS_PER_DAY = 5
    for n in range(5):
        Invitation.objects.create(family=family, email=f"annulee{n}@example.org",
                                  invited_by=guardian, revoked_at=timezone.now())

    refused = invite(parent_client, "cible@example.org")

    assert flash_messages(refused) == [
        "Votre famille a déjà envoyé 5 invitations en 24 heures : réessayez demain ou "
        "contactez le service."]
    assert not Invitation.objects.filter(email="cible@example.org").exists()
    assert not OutboxMessage.objects.exists()


def test_the_invitation_e_mail_carries_no_text_the_sender_typed(
    client, django_capture_on_commit_callbacks
):
    # A new parent, whose names (and so his family's name) are a phishing text.
    sender = UserFactory(email="expediteur@example.org")
    client.force_login(sender)
    client.post("/famille/creer/", {
        "first_name": PHISHING, "last_name": PHISHING, "relation": "mother",
        "mobile_phone": "06 12 34 56 78", "address": "1 rue des Écoles", "postal_code": "56000",
        "city": "Kerbrume"})
    assert "appelez le 08 99" in page_text(client.get("/famille/"))  # the trap is set

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, "cible@example.org")
    assert "Invitation envoyée à cible@example.org." in flash_messages(response)

    [sent] = mail.outbox
    for part in (sent.subject, sent.body):
        assert "08 99" not in part and "caf-remboursement" not in part
        assert "bloque" not in part
    invitation = Invitation.objects.get(email="cible@example.org")
    # What the invitee can check: the inviter's verified address, the commune, the link.
    assert "expediteur@example.org" in sent.body
    assert "Kerbrume" in sent.subject
    assert f"http://testserver/famille/invitation/{invitation.token}/" in sent.body


def test_staff_see_who_invited_whom_and_when_but_not_the_link(
    client_factory, staff_user, parent_client, family, guardian,
    django_capture_on_commit_callbacks
):
    staff_client = client_factory()
    staff_client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        invite(parent_client, "cible@example.org")
    invitation = Invitation.objects.get(family=family)

    listing = page_text(staff_client.get("/gestion/familles/invitation/"))
    assert "cible@example.org" in listing and family.name in listing
    assert guardian.user.email in listing
    assert "en attente" in listing
    change = staff_client.get(f"/gestion/familles/invitation/{invitation.pk}/change/")
    assert change.status_code == 200
    text = page_text(change)
    assert "cible@example.org" in text and guardian.user.email in text
    # The e-mail's text as it was sent, with the personal link masked.
    assert "vous invite à rejoindre son espace famille" in text
    assert "[lien personnel de l'invité, non affiché]" in text
    for page in (listing, text):
        assert str(invitation.token) not in page
        assert str(invitation.token).replace("-", "") not in page
