"""Review finding 9: an address a parent added to his account without verifying it (anyone's
address can be typed there) must never block its owner's sign-up, nor open the parent's
account to the owner of that mailbox. A verified address still prevents a duplicate account,
and sign-up answers the same whatever the address (no enumeration)."""

import re
from functools import partial

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache

from familles.models import User
from tests.scenarios.accounts import PASSWORD

VICTIM = "voisin@example.org"
NEW_PASSWORD = "Un-nouveau-mot-de-passe-2026"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # allauth's rate limits live in the cache
    yield
    cache.clear()


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    return partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def squatted(client_factory, guardian, delivered):
    """The guardian types someone else's address as a second address of his account."""
    parent = client_factory()
    parent.force_login(guardian.user)
    with delivered():
        response = parent.post("/compte/email/", {"action_add": "", "email": VICTIM},
                               follow=True)
    assert response.redirect_chain[-1][0] == "/compte/email/"
    assert EmailAddress.objects.get(email=VICTIM).user == guardian.user
    assert not EmailAddress.objects.get(email=VICTIM).verified
    mail.outbox.clear()
    return parent


def signup(client, email):
    return client.post("/compte/signup/", {"email": email, "password1": NEW_PASSWORD,
                                           "password2": NEW_PASSWORD})


def links(message) -> list[str]:
    return re.findall(r"https?://testserver(/\S+)", message.body)


def test_an_unverified_secondary_address_does_not_block_its_owners_sign_up(
    client, squatted, guardian, delivered
):
    with delivered():
        response = signup(client, VICTIM)

    assert response.status_code == 302
    assert response["Location"] == "/compte/confirm-email/"
    owner = User.objects.get(email=VICTIM)
    [message] = mail.outbox
    assert message.to == [VICTIM]
    assert message.subject == "Confirmez votre adresse e-mail"
    [link] = links(message)
    assert link.startswith("/compte/confirm-email/")

    client.post(link)
    assert EmailAddress.objects.get(user=owner, email=VICTIM).verified
    assert client.session["_auth_user_id"] == str(owner.pk)
    # Once its owner proved it, the address is no longer claimed by the other account.
    assert not EmailAddress.objects.filter(user=guardian.user, email=VICTIM).exists()
    assert EmailAddress.objects.filter(user=guardian.user, email=guardian.user.email,
                                       verified=True).exists()
    assert VICTIM not in squatted.get("/compte/email/").content.decode()


def test_a_verified_address_still_prevents_a_duplicate_and_answers_the_same(
    client, client_factory, guardian, delivered
):
    EmailAddress.objects.create(user=guardian.user, email="second@example.org", verified=True)
    with delivered():
        fresh = signup(client, "tout.nouveau@example.org")
    mail.outbox.clear()

    with delivered():
        taken = signup(client_factory(), "second@example.org")

    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == "/compte/confirm-email/"
    assert not User.objects.filter(email="second@example.org").exists()
    [message] = mail.outbox
    assert message.to == ["second@example.org"]
    assert message.subject == "Ce compte existe déjà"


def test_a_sign_up_with_the_address_before_it_is_verified_does_not_strip_the_other_claim(
    client, squatted, guardian, delivered
):
    # Typing an address at sign-up proves nothing: the other account keeps its pending
    # address until the new account verifies it.
    with delivered():
        signup(client, VICTIM)
    assert EmailAddress.objects.filter(user=guardian.user, email=VICTIM).exists()


def test_an_unverified_secondary_address_gives_no_password_reset_of_that_account(
    client, squatted, guardian, delivered
):
    with delivered():
        response = client.post("/compte/password/reset/", {"email": VICTIM})

    assert response.status_code == 302
    for message in mail.outbox:
        assert not any("/compte/password/reset/key/" in link for link in links(message))
    # The guardian's own address still resets his password.
    mail.outbox.clear()
    with delivered():
        client.post("/compte/password/reset/", {"email": guardian.user.email})
    [message] = mail.outbox
    assert any("/compte/password/reset/key/" in link for link in links(message))
    assert guardian.user.check_password(PASSWORD)
