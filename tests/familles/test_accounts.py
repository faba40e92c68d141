"""Accounts (django-allauth) through HTTP: sign-up with mandatory e-mail verification through the
outbox, login by e-mail, password reset and change, logout, rate limits, no account enumeration,
the staff's second factor (TOTP) in front of the admin, and every account page in French in the
portal's layout."""

import re
from functools import partial
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from familles.models import User
from ground.models import OutboxMessage
from portail.settings import base as base_settings
from tests.helpers import page_text, totp_code
from tests.scenarios.accounts import (
    PASSWORD,
    TOTP_SECRET,
    StaffFactory,
    UserFactory,
    password_login,
)
from tests.scenarios.families import GuardianFactory

NEW_PASSWORD = "Un-nouveau-mot-de-passe-2026"
LOGIN_URL = "/compte/login/"
SIGNUP_URL = "/compte/signup/"
RESET_URL = "/compte/password/reset/"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def main_of(response) -> str:
    """The page's <main>, without its CSRF tokens (they differ from one response to another)."""
    page = page_text(response)
    return CSRF_RE.sub("", page[page.index("<main") : page.index("</main>")])


def links_in(message) -> list[str]:
    return re.findall(r"https?://testserver(/\S+)", message.body)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def signup(client, email="nouveau.parent@example.org", password=NEW_PASSWORD):
    return client.post(SIGNUP_URL, {"email": email, "password1": password, "password2": password})


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters and used TOTP codes live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Plays the commit of what a request decided, so that its outbox messages are sent (the
    test's transaction never commits). Use as `with delivered(): response = client.post(...)`."""
    return partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def rate_limits(settings):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    return settings.ACCOUNT_RATE_LIMITS


# --- sign-up and e-mail verification ---------------------------------------------------------


@pytest.mark.django_db
def test_signup_creates_an_unverified_account_and_queues_a_verification_email(client, delivered):
    with delivered():
        response = signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/compte/confirm-email/"
    user = User.objects.get(email="nouveau.parent@example.org")
    assert EmailAddress.objects.get(user=user).verified is False
    assert not is_logged_in(client)
    # The e-mail went through the outbox (one row, sent by the eager Celery task)...
    row = OutboxMessage.objects.get()
    assert row.to == ["nouveau.parent@example.org"]
    assert row.template == "account/email/email_confirmation_signup"
    assert row.status == OutboxMessage.Status.SENT
    # ... and reached the mail server, in French, with a confirmation link and our signature.
    [message] = mail.outbox
    assert message.to == ["nouveau.parent@example.org"]
    assert message.subject == "Confirmez votre adresse e-mail"
    assert message.body.startswith("Bonjour,")
    assert "Portail Famille de Kerbrume" in message.body
    assert "Éducation Jeunesse – Mairie de Kerbrume" in message.body
    [link] = links_in(message)
    assert link.startswith("/compte/confirm-email/")

    page = client.get(response["Location"])
    assert "Vérifiez votre adresse e-mail" in page_text(page)


@pytest.mark.django_db
def test_following_the_verification_link_verifies_the_address_and_logs_in(client, delivered):
    with delivered():
        signup(client)
    [link] = links_in(mail.outbox[0])

    # allauth confirms on POST only (ACCOUNT_CONFIRM_EMAIL_ON_GET = False): a GET shows a button.
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirmer l'adresse e-mail" in page_text(page)
    assert 'method="post"' in page_text(page)
    assert EmailAddress.objects.get(email="nouveau.parent@example.org").verified is False

    response = client.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="nouveau.parent@example.org").verified is True
    assert is_logged_in(client)
    # A new parent has no family yet: the portal sends him to create it.
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/famille/creer/"


@pytest.mark.django_db
def test_a_wrong_verification_key_is_refused_in_french(client):
    page = client.get("/compte/confirm-email/pas-une-cle/")

    assert page.status_code == 200
    assert "a expiré ou n'est pas valide" in page_text(page)


@pytest.mark.django_db
def test_login_before_verification_does_not_reach_the_dashboard(client, delivered):
    user = UserFactory(email="pas.verifie@example.org", verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    with delivered():
        response = password_login(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == "/compte/confirm-email/"
    assert not is_logged_in(client)
    # A fresh verification e-mail is sent instead.
    assert [m.to for m in mail.outbox] == [["pas.verifie@example.org"]]
    home = client.get("/")
    assert home.status_code == 200
    assert "Mon tableau de bord" not in page_text(home)


@pytest.mark.django_db
def test_signup_with_a_registered_email_does_not_reveal_it(client, delivered):
    GuardianFactory(user__email="deja.inscrit@example.org")
    with delivered():
        new = signup(client, email="tout.nouveau@example.org")
    mail.outbox.clear()

    with delivered():
        taken = signup(client.__class__(), email="deja.inscrit@example.org")

    # Same answer as for a new address...
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"] == "/compte/confirm-email/"
    assert User.objects.filter(email="deja.inscrit@example.org").count() == 1
    # ... and only the owner of the address is told, with no confirmation link.
    [message] = mail.outbox
    assert message.to == ["deja.inscrit@example.org"]
    assert message.subject == "Ce compte existe déjà"
    assert "/compte/confirm-email/" not in message.body
    assert "/compte/password/reset/" in message.body


@pytest.mark.django_db
def test_signup_refuses_a_weak_password_in_french_next_to_the_field(client):
    response = signup(client, password="12345678")

    assert response.status_code == 200
    page = page_text(response)
    assert "Ce mot de passe est trop court" in page
    assert 'aria-describedby="id_password1_helptext id_password1_error"' in page
    assert 'id="id_password1_error"' in page
    assert 'aria-invalid="true"' in page
    assert not User.objects.exists()


# --- login and logout ------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_by_email_reaches_the_dashboard(client, guardian):
    response = password_login(client, guardian.user.email.upper())

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_logged_in(client)
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Se déconnecter" in page_text(dashboard)


@pytest.mark.django_db
def test_a_wrong_password_gets_a_french_error(client, guardian):
    response = password_login(client, guardian.user.email, "pas-le-bon-mot-de-passe")

    assert response.status_code == 200
    page = page_text(response)
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in page
    assert 'class="alert alert-danger" role="alert"' in page
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_login_page_uses_the_brochure_wording(client):
    page = page_text(client.get(LOGIN_URL))

    assert "<h1" in page and "Je me connecte</h1>" in page
    assert f'<a href="{RESET_URL}">J\'ai oublié mon mot de passe</a>' in page
    assert f'href="{SIGNUP_URL}">Créer mon espace</a>' in page
    assert '<label class="form-label" for="id_login">Adresse e-mail</label>' in page
    assert '<label class="form-label" for="id_password">Mot de passe</label>' in page


@pytest.mark.django_db
def test_logout_is_a_post(client, guardian):
    client.force_login(guardian.user)

    # A GET only asks for confirmation: a link or an image cannot log a parent out.
    confirm = client.get("/compte/logout/")
    assert confirm.status_code == 200
    assert "Êtes-vous sûr(e) de vouloir vous déconnecter ?" in page_text(confirm)
    assert is_logged_in(client)

    response = client.post("/compte/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not is_logged_in(client)


# --- password reset and change ---------------------------------------------------------------


@pytest.mark.django_db
def test_password_reset_sends_a_working_link(client, guardian, delivered):
    email = guardian.user.email

    with delivered():
        response = client.post(RESET_URL, {"email": email})

    assert response.status_code == 302
    assert response["Location"] == "/compte/password/reset/done/"
    sent = page_text(client.get(response["Location"]))
    assert "Vérifiez votre messagerie" in sent
    assert '<a class="btn btn-primary" href="/compte/login/">Je me connecte</a>' in sent
    [message] = mail.outbox
    assert message.to == [email]
    assert message.subject == "E-mail de réinitialisation de mot de passe"
    assert OutboxMessage.objects.get().template == "account/email/password_reset_key"
    [link] = [url for url in links_in(message) if "/password/reset/key/" in url]

    # allauth moves the key into the session and redirects to a URL without it.
    step = client.get(link)
    assert step.status_code == 302
    form_url = step["Location"]
    form = client.get(form_url)
    assert form.status_code == 200
    assert "Nouveau mot de passe" in page_text(form)
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/compte/password/reset/key/done/"
    changed = page_text(client.get(done["Location"]))
    assert "Votre mot de passe a été modifié." in changed
    assert '<a class="btn btn-primary" href="/compte/login/">Je me connecte</a>' in changed

    # The link works once; the old password is gone, the new one opens the account.
    assert "Mauvais jeton" in page_text(client.get(link, follow=True))
    assert not is_logged_in(client)
    assert password_login(client, email, PASSWORD).status_code == 200
    assert password_login(client, email, NEW_PASSWORD)["Location"] == "/"
    assert is_logged_in(client)


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_answers_the_same_and_sends_no_link(
    client, delivered
):
    known = GuardianFactory().user.email
    with delivered():
        known_answer = client.post(RESET_URL, {"email": known})
    known_page = client.get(known_answer["Location"])
    mail.outbox.clear()

    with delivered():
        unknown_answer = client.post(RESET_URL, {"email": "inconnu@example.org"})
    unknown_page = client.get(unknown_answer["Location"])

    assert unknown_answer.status_code == known_answer.status_code == 302
    assert unknown_answer["Location"] == known_answer["Location"]
    assert main_of(unknown_page) == main_of(known_page)
    # ACCOUNT_PREVENT_ENUMERATION: allauth tells the address it has no account there (so both
    # addresses receive an e-mail); no reset link goes to anyone.
    [notice] = mail.outbox
    assert notice.to == ["inconnu@example.org"]
    assert notice.subject == "Compte inconnu"
    assert "/password/reset/key/" not in notice.body


@pytest.mark.django_db
def test_password_change(client, guardian):
    client.force_login(guardian.user)
    url = "/compte/password/change/"

    wrong = client.post(url, {"oldpassword": "pas-le-bon", "password1": NEW_PASSWORD,
                              "password2": NEW_PASSWORD})
    assert wrong.status_code == 200
    assert "Merci d'indiquer votre mot de passe actuel." in page_text(wrong)
    assert 'id="id_oldpassword_error"' in page_text(wrong)

    response = client.post(url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD,
                                 "password2": NEW_PASSWORD})

    assert response.status_code == 302
    guardian.user.refresh_from_db()
    assert guardian.user.check_password(NEW_PASSWORD)
    assert is_logged_in(client)  # the session survives its own password change


# --- rate limits -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sixth_wrong_password_locks_the_account_even_with_the_right_one(client, rate_limits):
    assert "5/300s/key" in rate_limits["login_failed"]
    email = GuardianFactory().user.email
    for _ in range(5):
        response = password_login(client, email, "pas-le-bon-mot-de-passe")
        assert "incorrects" in page_text(response)

    response = password_login(client, email, PASSWORD)

    # allauth refuses in the form itself: the login page again, with the reason in French.
    assert response.status_code == 200
    assert "Trop de tentatives de connexion échouées. Veuillez réessayer ultérieurement." in (
        page_text(response))
    assert not is_logged_in(client)
    # Another account is not affected.
    other = GuardianFactory().user.email
    assert password_login(client, other)["Location"] == "/"


@pytest.mark.django_db
def test_password_reset_requests_are_rate_limited_per_address(client, rate_limits, delivered):
    assert "3/10m/key" in rate_limits["reset_password"]
    email = GuardianFactory().user.email
    for _ in range(3):
        with delivered():
            assert client.post(RESET_URL, {"email": email}).status_code == 302

    with delivered():
        response = client.post(RESET_URL, {"email": email})

    # Here allauth answers HTTP 429 with our templates/429.html.
    assert response.status_code == 429
    assert "Trop de tentatives</h1>" in page_text(response)
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_the_rate_limit_page_is_french_and_in_the_portal_layout(client, rate_limits, settings):
    settings.ACCOUNT_RATE_LIMITS = {**rate_limits, "signup": "1/m/ip"}
    assert signup(client, email="premier@example.org").status_code == 302

    response = signup(client.__class__(), email="second@example.org")

    assert response.status_code == 429
    page = page_text(response)
    assert '<html lang="fr">' in page
    assert "Trop de tentatives</h1>" in page
    assert 'class="skip-link"' in page
    assert not User.objects.filter(email="second@example.org").exists()


# --- staff: the admin behind allauth, and the second factor ----------------------------------


@pytest.mark.django_db
def test_the_admin_sends_anonymous_visitors_to_the_portal_login(client):
    response = client.get("/gestion/", follow=True)

    assert response.redirect_chain[-1][0] == "/compte/login/?next=%2Fgestion%2F"
    assert "Je me connecte" in page_text(response)
    # The admin's own login form is not reachable either.
    direct = client.get("/gestion/login/")
    assert direct.status_code == 302
    assert direct["Location"].startswith("/compte/login/")


@pytest.mark.django_db
def test_a_parent_cannot_enter_the_admin(client, guardian):
    client.force_login(guardian.user)

    assert client.get("/gestion/login/").status_code == 403
    assert client.get("/gestion/", follow=True).status_code == 403


@pytest.mark.django_db
def test_staff_activate_totp_from_the_mfa_pages(client, frozen_clock):
    staff_user = StaffFactory(second_factor=False)  # who has not enrolled yet
    password_login(client, staff_user.email)
    index = client.get("/compte/2fa/")
    assert "Authentification à deux facteurs" in page_text(index)

    # Activating a second factor asks for the password again.
    ask = client.get("/compte/2fa/totp/activate/")
    assert ask.status_code == 302
    assert ask["Location"].startswith("/compte/reauthenticate/")
    back = client.post(ask["Location"], {"password": PASSWORD})
    assert back["Location"] == "/compte/2fa/totp/activate/"

    form = client.get("/compte/2fa/totp/activate/")
    assert form.status_code == 200
    assert "Activer l'application d'authentification" in page_text(form)
    secret = client.session["mfa.totp.secret"]
    wrong = client.post("/compte/2fa/totp/activate/", {"code": "000000"
                        if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "Code incorrect." in page_text(wrong)
    assert not Authenticator.objects.filter(user=staff_user).exists()

    done = client.post("/compte/2fa/totp/activate/", {"code": totp_code(secret)})

    assert done["Location"] == "/compte/2fa/recovery-codes/"
    types = set(Authenticator.objects.filter(user=staff_user).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


@pytest.mark.django_db
def test_staff_with_totp_are_asked_for_the_code_before_the_admin(client, staff_user, frozen_clock):
    secret = TOTP_SECRET  # the factory's staff have enrolled their device
    response = client.post(f"{LOGIN_URL}?next=/gestion/",
                           {"login": staff_user.email, "password": PASSWORD})

    # The password alone does not open a session...
    assert response.status_code == 302
    assert response["Location"] == "/compte/2fa/authenticate/"
    assert not is_logged_in(client)
    assert client.get("/gestion/")["Location"].startswith("/gestion/login/")
    page = client.get("/compte/2fa/authenticate/")
    assert page.status_code == 200
    assert "Authentification à deux facteurs" in page_text(page)
    assert 'name="code"' in page_text(page)
    # ... a wrong code is refused in French...
    wrong = client.post("/compte/2fa/authenticate/",
                        {"code": totp_code(secret, at=timezone.now().timestamp() + 150)})
    assert wrong.status_code == 200
    assert "Code incorrect." in page_text(wrong)
    assert not is_logged_in(client)

    # ... the authenticator app's code opens the admin.
    done = client.post("/compte/2fa/authenticate/", {"code": totp_code(secret)})

    assert done["Location"] == "/gestion/"
    assert is_logged_in(client)
    admin = client.get("/gestion/")
    assert admin.status_code == 200
    assert 'href="/compte/2fa/">Double authentification</a>' in page_text(admin)


# --- every account page: French, the portal's layout, accessible basics ----------------------


class PageAudit(HTMLParser):
    """Collects what the accessibility checks need from a page."""

    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.labels = set()
        self.fields = []
        self.inline_scripts = []
        self.style_attributes = 0
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes += 1
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") not in ("hidden", "submit", "button"):
                self.fields.append(attrs.get("id"))
        elif tag == "script":
            self._in_script = attrs

    def handle_data(self, data):
        script = self._in_script
        if (script is not None and data.strip() and "src" not in script
                and script.get("type") != "application/json"):
            self.inline_scripts.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def assert_portal_page_in_french(response, heading):
    assert response.status_code == 200, response.get("Location")
    page = page_text(response)
    assert '<html lang="fr">' in page
    assert '<a class="skip-link" href="#contenu">Aller au contenu</a>' in page
    assert '<main id="contenu"' in page
    assert "/static/css/compte.css" in page
    assert heading in page, heading
    audit = PageAudit()
    audit.feed(page)
    assert audit.h1 == 1
    assert not audit.inline_scripts
    assert not audit.style_attributes
    unlabelled = [field for field in audit.fields if field not in audit.labels]
    assert not unlabelled
    # allauth's English must not leak through.
    for english in ("Sign In", "Sign Up", "Password Reset", "Email Addresses", "Submit"):
        assert english not in page


ANONYMOUS_PAGES = [
    ("/compte/login/", "Je me connecte"),
    ("/compte/signup/", "Créer mon espace"),
    ("/compte/confirm-email/", "Vérifiez votre adresse e-mail"),
    ("/compte/password/reset/", "J'ai oublié mon mot de passe"),
    ("/compte/password/reset/done/", "Vérifiez votre messagerie"),
    ("/compte/password/reset/key/done/", "Mot de passe modifié"),
    ("/compte/password/reset/key/1-cle-perimee/", "Mauvais jeton d'identification"),
    ("/compte/confirm-email/cle-perimee/", "Confirmer l'adresse e-mail"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "heading"), ANONYMOUS_PAGES)
def test_every_entrance_page_is_french_in_the_portal_layout(client, url, heading):
    assert_portal_page_in_french(client.get(url), heading)


@pytest.mark.django_db
def test_the_pages_of_the_verification_and_reset_links_are_french(client, guardian, delivered):
    with delivered():
        signup(client)
    [confirm_link] = links_in(mail.outbox[0])
    assert_portal_page_in_french(client.get(confirm_link), "Confirmer l'adresse e-mail")

    with delivered():
        client.post(RESET_URL, {"email": guardian.user.email})
    [reset_link] = [url for url in links_in(mail.outbox[-1]) if "/password/reset/key/" in url]
    response = client.get(reset_link, follow=True)
    assert_portal_page_in_french(response, "Modifier le mot de passe")
    assert "Nouveau mot de passe" in page_text(response)


@pytest.mark.django_db
def test_every_account_page_is_french_in_the_portal_layout(client, frozen_clock):
    staff_user = StaffFactory(second_factor=False)  # who has not enrolled yet
    password_login(client, staff_user.email)
    pages = [
        ("/compte/password/change/", "Modifier le mot de passe"),
        ("/compte/email/", "Adresses e-mail"),
        ("/compte/logout/", "Se déconnecter"),
        ("/compte/2fa/", "Authentification à deux facteurs"),
        ("/compte/reauthenticate/", "Confirmer l'accès"),
    ]
    for url, heading in pages:
        assert_portal_page_in_french(client.get(url), heading)
    # allauth's own scripts (from our origin, none inline) still reach the page.
    assert '<script src="/static/account/js/account.js">' in page_text(client.get("/compte/email/"))

    client.post("/compte/reauthenticate/", {"password": PASSWORD})
    activate = client.get("/compte/2fa/totp/activate/")
    assert_portal_page_in_french(activate, "Activer l'application d'authentification")
    assert 'src="data:image/svg+xml' in page_text(activate)  # the QR code, allowed by img-src data:
    secret = client.session["mfa.totp.secret"]
    client.post("/compte/2fa/totp/activate/", {"code": totp_code(secret)})
    for url, heading in [
        ("/compte/2fa/", "Application d'authentification"),
        ("/compte/2fa/recovery-codes/", "Codes de récupération"),
        ("/compte/2fa/recovery-codes/generate/", "Codes de récupération"),
        ("/compte/2fa/totp/deactivate/", "Désactiver l'application d'authentification"),
    ]:
        assert_portal_page_in_french(client.get(url), heading)

    client.post("/compte/logout/")
    password_login(client, staff_user.email)
    assert_portal_page_in_french(client.get("/compte/2fa/authenticate/"),
                                 "Authentification à deux facteurs")

