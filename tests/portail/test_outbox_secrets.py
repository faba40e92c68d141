"""E-mails carrying a secret (reset and verification links, invitations) are never readable by
staff in the outbox, yet reach their owner with a working link (docs/security.md, section 1).

The review's attack: an anonymous reset request for the superuser's address, a staff agent
opening the message in the admin's outbox, following the link and setting a password."""

import importlib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail, serializers
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from familles.models import Invitation
from ground import outbox, tasks
from ground.models import OutboxMessage
from tests.helpers import flash_messages, page_text, totp_code
from tests.outbox_pages import OUTBOX_ADMIN, outbox_admin_pages, outbox_search_count
from tests.scenarios.accounts import PASSWORD, TOTP_SECRET, StaffFactory, UserFactory
from tests.scenarios.families import GuardianFactory

NEW_PASSWORD = "Un-nouveau-mot-de-passe-2026"
BROKEN = "tests.helpers.BrokenSMTPBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"

pytestmark = pytest.mark.django_db


def links_in(email, fragment: str) -> list[str]:
    return [url for url in re.findall(r"https?://testserver(/\S+)", email.body)
            if fragment in url]


def agent() -> Client:
    """A member of the default « Éducation Jeunesse » group, logged in to the admin."""
    client = Client()
    client.force_login(StaffFactory())
    return client


def assert_never_shown(pages: dict, *secrets: str) -> None:
    for url, response in pages.items():
        html = response.content.decode()
        # A search page repeats what was typed: the staff member knew that already.
        typed = parse_qs(urlsplit(url).query).get("q", [""])[0]
        if typed:
            html = html.replace(escape(typed), "").replace(typed, "")
        for secret in secrets:
            assert secret not in html, f"{secret!r} shown on {url}"


def database_dump() -> str:
    """What a dump of the outbox table holds (a backup, a copy handed over for support)."""
    return serializers.serialize("json", OutboxMessage.objects.all())


def reset_password_through(client: Client, link: str) -> None:
    step = client.get(link)  # allauth moves the key into the session, then shows the form
    assert step.status_code == 302
    done = client.post(step["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done["Location"] == "/compte/password/reset/key/done/"


def test_staff_never_read_the_superusers_reset_link_which_still_reaches_its_owner_and_works(
        frozen_clock):
    superuser = UserFactory(email="admin@mairie.example", is_staff=True, is_superuser=True)
    staff = agent()
    anonymous = Client()

    response = anonymous.post("/compte/password/reset/", {"email": superuser.email})
    assert response["Location"] == "/compte/password/reset/done/"
    message = OutboxMessage.objects.get(template="account/email/password_reset_key")
    # Waiting to be sent (the request's commit is not played here): the window of the attack.
    waiting = outbox_admin_pages(staff, searches=["password", "reset", "key", "http"])
    assert_never_shown(waiting, "/password/reset/key/")
    assert "/password/reset/key/" not in database_dump()

    assert outbox.drain() == 1  # the worker sends it
    [email] = mail.outbox
    assert email.to == [superuser.email]
    [link] = links_in(email, "/password/reset/key/")
    key = link.split("/password/reset/key/")[1].strip("/")
    sent = outbox_admin_pages(staff, searches=[key, key.split("-")[-1], "/password/reset/key/"])
    assert_never_shown({**waiting, **sent}, key, "/password/reset/key/")
    assert outbox_search_count(staff, key) == 0
    assert key not in database_dump()
    message.refresh_from_db()
    # Staff still see who, when, which template and the delivery state.
    change = page_text(staff.get(f"{OUTBOX_ADMIN}{message.pk}/change/"))
    for shown in (superuser.email, "account/email/password_reset_key", "Envoyé",
                  email.subject, "Contient un lien ou un code personnel"):
        assert shown in change, shown
    # Once sent, nothing of the secret stays, not even sealed.
    assert (message.status, message.sealed_body) == (OutboxMessage.Status.SENT, "")

    # The real e-mail's link works: its owner sets a new password and logs in with it.
    owner = Client()
    reset_password_through(owner, link)
    login = owner.post("/compte/login/", {"login": superuser.email, "password": NEW_PASSWORD})
    # The new password is accepted: allauth moves on to the superuser's second factor.
    assert login["Location"] == "/compte/2fa/authenticate/"
    code = owner.post("/compte/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert code["Location"] == "/"
    assert owner.session["_auth_user_id"] == str(superuser.pk)


def test_staff_never_read_a_verification_link_which_still_verifies_the_address():
    staff = agent()
    visitor = Client()
    visitor.post("/compte/signup/", {"email": "nouveau.parent@example.org",
                                     "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    message = OutboxMessage.objects.get(template="account/email/email_confirmation_signup")
    waiting = outbox_admin_pages(staff, searches=["confirm-email", "http"])
    assert_never_shown(waiting, "/confirm-email/")

    assert outbox.drain() == 1
    [link] = links_in(mail.outbox[0], "/confirm-email/")
    key = link.split("/confirm-email/")[1].strip("/")
    sent = outbox_admin_pages(staff, searches=[key, "confirm-email"])
    assert_never_shown({**waiting, **sent}, key, "/confirm-email/")
    assert outbox_search_count(staff, key) == 0
    assert key not in database_dump()
    message.refresh_from_db()
    assert message.sealed_body == ""

    assert visitor.post(link).status_code == 302
    assert visitor.session["_auth_user_id"]  # verified, and logged in by the link


def test_staff_never_read_an_invitation_link_which_still_reaches_the_invitee():
    guardian = GuardianFactory()
    parent = Client()
    parent.force_login(guardian.user)
    staff = agent()
    parent.post("/famille/inviter/", {"email": "sam.martin@example.org"})
    token = str(Invitation.objects.get(family=guardian.family).token)
    message = OutboxMessage.objects.get(template="invitation")
    path = f"/famille/invitation/{token}/"

    waiting = outbox_admin_pages(staff, searches=[token, "invitation/"])
    assert outbox.drain() == 1
    sent = outbox_admin_pages(staff, searches=[token, "invitation/"])
    assert_never_shown({**waiting, **sent}, token, "/famille/invitation/")
    assert outbox_search_count(staff, token) == 0
    assert token not in database_dump()
    message.refresh_from_db()
    assert message.sealed_body == ""

    [email] = mail.outbox
    assert email.to == ["sam.martin@example.org"]
    assert links_in(email, "/famille/invitation/") == [path]
    UserFactory(email="sam.martin@example.org")
    invitee = Client()
    invitee.post("/compte/login/", {"login": "sam.martin@example.org", "password": PASSWORD})
    assert f"Rejoindre la {guardian.family.name}" in page_text(invitee.get(path))


def test_a_reset_link_whose_first_delivery_failed_is_sent_by_the_beat_job_and_works(
        settings, time_machine, django_capture_on_commit_callbacks):
    user = UserFactory()
    settings.EMAIL_BACKEND = BROKEN
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/compte/password/reset/", {"email": user.email})
    message = OutboxMessage.objects.get(template="account/email/password_reset_key")
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert message.sealed_body != ""  # kept, sealed, for the next attempt

    settings.EMAIL_BACKEND = LOCMEM
    time_machine.move_to(start + timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS + 1),
                         tick=False)
    assert tasks.requeue_unsent_messages() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts, message.sealed_body) == (
        OutboxMessage.Status.SENT, 2, "")
    [link] = links_in(mail.outbox[0], "/password/reset/key/")
    reset_password_through(Client(), link)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_secret_message_that_fails_for_good_is_purged_and_never_resent_empty(settings):
    settings.EMAIL_BACKEND = BROKEN
    settings.OUTBOX_MAX_ATTEMPTS = 2
    user = UserFactory()
    Client().post("/compte/password/reset/", {"email": user.email})
    message = OutboxMessage.objects.get(template="account/email/password_reset_key")
    assert outbox.deliver(message.pk) is False
    assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.sealed_body == ""  # a dead link is not kept

    # « Renvoyer maintenant » cannot send an empty message: the person asks again.
    settings.EMAIL_BACKEND = LOCMEM
    staff = agent()
    response = staff.post(OUTBOX_ADMIN, {"action": "retry_now",
                                         "_selected_action": [message.pk]}, follow=True)
    assert flash_messages(response) == [
        "1 message personnel (lien ou code) n'a pas été renvoyé\u00a0: son contenu est effacé "
        "après un échec définitif\u00a0; la personne doit refaire sa demande."]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert mail.outbox == []


def test_an_ordinary_message_still_shows_its_text_to_staff():
    message = outbox.queue_message(to="parent@example.org", subject="Dossier validé",
                                   body_text="Le dossier administratif de Léa est validé.")
    page = page_text(agent().get(f"{OUTBOX_ADMIN}{message.pk}/change/"))
    assert "Le dossier administratif de Léa est validé." in page


def test_a_message_sealed_before_a_secret_key_rotation_is_still_delivered(settings):
    message = outbox.queue_message(
        to="parent@example.org", subject="Réinitialisation", template="account/email/x",
        body_text="https://portail.example/compte/password/reset/key/1-cle/",
        content=OutboxMessage.Content.SECRET)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789-abcdefghijklmnop"

    assert outbox.deliver(message.pk) is True
    [email] = mail.outbox
    assert email.body == "https://portail.example/compte/password/reset/key/1-cle/"


def test_a_message_sealed_under_a_forgotten_key_fails_and_its_secret_is_dropped(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    message = outbox.queue_message(
        to="parent@example.org", subject="Réinitialisation", template="account/email/x",
        body_text="https://portail.example/compte/password/reset/key/1-cle/",
        content=OutboxMessage.Content.SECRET)
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789-abcdefghijklmnop"

    assert outbox.deliver(message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.sealed_body) == (OutboxMessage.Status.FAILED, "")
    assert "InvalidToken" in message.last_error
    assert mail.outbox == []


def test_the_migration_seals_or_drops_what_earlier_versions_wrote_in_clear():
    migration = importlib.import_module("portail.migrations.0002_outbox_sealed_bodies")
    link = "https://portail.example/compte/password/reset/key/1-cle/"

    def written_in_clear(template, status, text):
        return OutboxMessage.objects.create(
            template=template, to=["parent@example.org"], subject="Objet", body_text=text,
            body_html=f"<p>{text}</p>", from_email="portail@example.org", status=status,
            sent_at=timezone.now() if status == OutboxMessage.Status.SENT else None)

    sent = written_in_clear("account/email/password_reset_key", "sent", link)
    pending = written_in_clear("invitation", "pending", link)
    health = written_in_clear("absence_justification_received", "sent", "Maladie de l'enfant")
    ordinary = written_in_clear("invoice_issued", "sent", "Votre facture")

    # The models as they stood when the migration was written (the outbox was then portail's).
    state = MigrationLoader(connection).project_state(("portail", "0002_outbox_sealed_bodies"))
    migration.seal_existing_bodies(state.apps, None)

    for message in (sent, pending, health, ordinary):
        message.refresh_from_db()
    assert (sent.content, sent.body_text, sent.body_html, sent.sealed_body) == (
        "secret", "", "", "")
    assert (pending.content, pending.body_text, pending.body_html) == ("secret", "", "")
    assert (health.content, health.body_text) == ("health", "")
    assert outbox.bodies(health)[0] == "Maladie de l'enfant"
    assert (ordinary.content, ordinary.body_text) == ("ordinary", "Votre facture")
    assert link not in database_dump()
    # The invitation still waiting is sent as it was written.
    assert outbox.deliver(pending.pk) is True
    assert mail.outbox[0].body == link
