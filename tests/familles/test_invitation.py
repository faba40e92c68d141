"""The second guardian: invited by e-mail, joins the same family with his own login."""

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from familles.models import Guardian, Invitation
from ground.models import OutboxMessage
from tests.helpers import flash_messages, page_text, visible_text
from tests.scenarios.accounts import PASSWORD, UserFactory
from tests.scenarios.families import GuardianFactory

INVITEE = "sam.martin@example.org"


def joining_data(**overrides):
    data = {"first_name": "Sam", "last_name": "Martin", "relation": "father",
            "mobile_phone": "07 81 11 22 33", "home_phone": "", "work_phone": ""}
    data.update(overrides)
    return data


def invite(client, email=INVITEE):
    return client.post("/famille/inviter/", {"email": email}, follow=True)


def test_invitation_is_e_mailed_with_a_link_the_invitee_uses_to_join(
    parent_client, client_factory, family, guardian, django_capture_on_commit_callbacks
):
    # Celery is eager here: the message leaves the outbox once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(parent_client, "Sam.Martin@Example.org ")
    assert "Invitation envoyée à Sam.Martin@Example.org." in flash_messages(response)
    assert "invitation en attente" in page_text(response)

    outbox = OutboxMessage.objects.get(template="invitation")
    assert outbox.to == [INVITEE]
    assert outbox.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [INVITEE]
    assert "Kerbrume" in sent.subject
    invitation = Invitation.objects.get(family=family)
    link = f"http://testserver/famille/invitation/{invitation.token}/"
    assert link in sent.body
    # The inviter is named by his verified login address, not by names he typed.
    assert guardian.user.email in sent.body
    assert str(guardian) not in sent.body

    # The invitee has an account with that e-mail (verified), opens the link logged out: the
    # page says who invites him, with which address, and leads him to log in and come back.
    UserFactory(email=INVITEE)
    invitee = client_factory()
    path = re.search(r"http://testserver(/famille/invitation/\S+/)", sent.body).group(1)
    landing = invitee.get(path)
    assert landing.status_code == 200
    text = visible_text(landing)
    assert (f"La personne titulaire du compte {guardian.user.email} vous invite à rejoindre "
            "son espace famille sur le Portail Famille de Kerbrume") in text
    assert f"L'invitation a été envoyée à {INVITEE}" in text
    login_url = f"{reverse('account_login')}?{urlencode({'next': path})}"
    signup_url = f"{reverse('account_signup')}?{urlencode({'next': path})}"
    body = page_text(landing)
    assert f'href="{login_url}">Je me connecte' in body
    assert f'href="{signup_url}">Créer mon espace' in body
    assert str(guardian) not in text  # no name the sender typed (review, finding 5)
    refused = invitee.post(path, joining_data())  # accepting needs the login
    assert refused.status_code == 302
    assert refused.url == f"{reverse('account_login')}?next={path}"
    assert family.guardians.count() == 1
    page = invitee.post(login_url, {"login": INVITEE, "password": PASSWORD}, follow=True)
    assert page.redirect_chain[-1][0] == path
    assert f"Rejoindre la {family.name}" in page_text(page)
    # The onboarding page offers to join instead of creating a second household.
    assert path in page_text(invitee.get("/famille/creer/"))

    joined = invitee.post(path, joining_data(), follow=True)
    assert f"Vous avez rejoint la {family.name}." in flash_messages(joined)
    new_guardian = Guardian.objects.get(user__email=INVITEE)
    assert new_guardian.family == family
    assert family.guardians.count() == 2
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == new_guardian.user
    # Both see the same family page, listing both guardians.
    text = page_text(invitee.get("/famille/"))
    assert guardian.user.email in text and INVITEE in text


def test_invitation_opened_with_another_account_is_refused(parent_client, client_factory,
                                                           family):
    invite(parent_client)
    invitation = Invitation.objects.get(family=family)
    intruder = client_factory()
    intruder.force_login(UserFactory(email="quelquun@example.org"))
    response = intruder.post(f"/famille/invitation/{invitation.token}/", joining_data())
    assert response.status_code == 200
    assert (f"Cette invitation a été envoyée à {INVITEE} : connectez-vous avec cette adresse."
            in page_text(response))
    assert family.guardians.count() == 1
    assert not Guardian.objects.filter(user__email="quelquun@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_expired_invitation_is_refused(parent_client, client_factory, family):
    invite(parent_client)
    invitation = Invitation.objects.get(family=family)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=Invitation.VALID_DAYS, minutes=1))
    invitee = client_factory()
    invitee.force_login(UserFactory(email=INVITEE))
    url = f"/famille/invitation/{invitation.token}/"
    message = ("Cette invitation n'est plus valable. Demandez à l'autre responsable d'en "
               "envoyer une nouvelle.")
    page = invitee.get(url)
    assert message in page_text(page)
    assert "Rejoindre la famille</button>" not in page_text(page)
    response = invitee.post(url, joining_data())
    assert message in page_text(response)
    assert family.guardians.count() == 1
    # Once expired, the parent can send a fresh one.
    assert f"Invitation envoyée à {INVITEE}." in flash_messages(invite(parent_client))


def test_unknown_invitation_token_is_not_found(parent_client):
    response = parent_client.get("/famille/invitation/00000000-0000-4000-8000-000000000000/")
    assert response.status_code == 404


def test_a_family_cannot_have_a_third_guardian(parent_client, client_factory, family,
                                               guardian):
    # Invited while there was room, but someone else joined first.
    invite(parent_client)
    invitation = Invitation.objects.get(family=family)
    GuardianFactory(family=family)

    page = parent_client.get("/famille/")
    assert "Inviter</button>" not in page_text(page)
    response = invite(parent_client, "troisieme@example.org")
    assert "Votre famille compte déjà deux responsables légaux." in flash_messages(response)
    assert not Invitation.objects.filter(email="troisieme@example.org").exists()
    assert [m.to for m in OutboxMessage.objects.all()] == [[INVITEE]]

    invitee = client_factory()
    invitee.force_login(UserFactory(email=INVITEE))
    response = invitee.post(f"/famille/invitation/{invitation.token}/", joining_data())
    assert "Cette famille compte déjà deux responsables légaux." in page_text(response)
    assert family.guardians.count() == 2


def test_inviting_twice_the_same_address_is_refused(parent_client, family,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(parent_client)
        response = invite(parent_client, INVITEE.upper())
    assert ("Une invitation a déjà été envoyée à cette adresse : elle est valable 14 jours."
            in flash_messages(response))
    assert Invitation.objects.filter(family=family).count() == 1
    assert len(mail.outbox) == 1


def test_inviting_oneself_or_a_bad_address_is_refused(parent_client, guardian):
    response = invite(parent_client, guardian.user.email)
    assert "Cette personne fait déjà partie de votre famille." in flash_messages(response)
    response = invite(parent_client, "pas-une-adresse")
    assert "Saisissez une adresse e-mail valide." in flash_messages(response)
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_guardian_of_another_family_cannot_join(parent_client, client_factory, family,
                                                  other_guardian):
    invite(parent_client, other_guardian.user.email)
    invitation = Invitation.objects.get(family=family)
    other = client_factory()
    other.force_login(other_guardian.user)
    response = other.post(f"/famille/invitation/{invitation.token}/", joining_data())
    assert "Votre compte est déjà rattaché à une famille." in page_text(response)
    other_guardian.refresh_from_db()
    assert other_guardian.family != family


def test_an_invitation_is_listed_until_the_day_it_expires(parent_client, client_factory,
                                                          family, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    invite(parent_client)
    invitation = Invitation.objects.get(family=family)
    invitee = client_factory()
    invitee.force_login(UserFactory(email=INVITEE))
    join_link = f"/famille/invitation/{invitation.token}/"

    time_machine.shift(timedelta(days=Invitation.VALID_DAYS) - timedelta(minutes=1))
    assert "invitation en attente" in page_text(parent_client.get("/famille/"))
    assert join_link in page_text(invitee.get("/famille/creer/"))

    time_machine.shift(timedelta(minutes=2))
    assert "invitation en attente" not in page_text(parent_client.get("/famille/"))
    assert join_link not in page_text(invitee.get("/famille/creer/"))
