"""Issue 7, hardening: what the portal's answers carry, how it holds a login storm, and
uploads abused through every entry point.

Already covered elsewhere, not repeated here:
- `manage.py check --deploy` under production settings: tests/portail/test_deploy.py;
- Stripe webhook forgery and replay: tests/facturation/test_stripe_webhook.py;
- the vault upload page (/documents/): spoofed type, oversize, path in the name, odd
  characters, HTML and executables: tests/familles/test_documents.py; a bad upload in the
  dossier administratif and a non-PDF absence certificate: tests/inscriptions/
  test_annual_file_parent.py and tests/reservations/test_absences.py;
- per-account limits (the 6th wrong password, 3 resets per address, the French 429 page):
  tests/familles/test_accounts.py.

Added here: the security headers on every kind of page (public, parent, staff, error, htmx,
file), production's HTTPS settings (redirect, HSTS, secure cookies) through the `settings`
fixture, pages that the CSP does not break (no inline script or handler), the per-IP limits
that stop a login or reset storm (429 before any password is checked), and oversize /
spoofed / path-trick uploads through the absence justification and the dossier
administratif."""

import re

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from familles.models import Document
from inscriptions.models import AnnualFile
from portail.settings import base as base_settings
from reservations.deadlines import deadline_for
from reservations.models import AbsenceJustification
from tests.helpers import page_text, pdf_bytes, png_bytes, stored_files, visible_text
from tests.scenarios.accounts import PASSWORD
from tests.scenarios.enrolments import AnnualFileFactory
from tests.scenarios.families import GuardianFactory
from tests.scenarios.reservations import (
    ReservationFactory,
    SlotFactory,
    bookable_activity,
    ready_child,
)

pytestmark = pytest.mark.django_db

LOGIN_URL = "/compte/login/"
RESET_URL = "/compte/password/reset/"


# --- security headers ----------------------------------------------------------------------

def csp_directives(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_hardened(response, what):
    assert response["X-Frame-Options"] == "DENY", what
    assert response["X-Content-Type-Options"] == "nosniff", what
    assert response["Referrer-Policy"] == "same-origin", what
    if response.get("Content-Type", "").startswith("text/html"):
        csp = csp_directives(response)
        assert csp["default-src"] == ["'self'"], what
        assert csp["script-src"] == ["'self'"], f"{what}: scripts only from our origin"
        assert csp["frame-ancestors"] == ["'none'"], what
        assert csp["object-src"] == ["'none'"], what
        assert csp["base-uri"] == ["'self'"], what
        # « Payer » posts here, then goes on to Stripe's or PayFiP's page.
        assert set(csp["form-action"]) == {"'self'", "https://checkout.stripe.com",
                                           "https://www.payfip.gouv.fr"}, what


@pytest.fixture
def pages(client, guardian, staff_user):
    """One page of each kind, as its visitor would open it."""
    from django.test import Client

    parent = Client()
    parent.force_login(guardian.user)
    staff = Client()
    staff.force_login(staff_user)
    return [
        ("public landing", client, "get", "/", {}),
        ("FAQ", client, "get", "/faq/", {}),
        ("login", client, "get", LOGIN_URL, {}),
        ("error 404", client, "get", "/nulle-part/", {}),
        ("parent dashboard", parent, "get", "/", {}),
        ("parent calendar", parent, "get", reverse("reservations:calendar"), {}),
        ("parent invoices", parent, "get", reverse("facturation:invoices"), {}),
        ("htmx booking answer", parent, "post", reverse("reservations:book"),
         {"HTTP_HX_REQUEST": "true"}),
        ("staff admin", staff, "get", "/gestion/", {}),
    ]


def test_every_kind_of_page_carries_the_security_headers(pages):
    for what, client, method, url, headers in pages:
        response = getattr(client, method)(url, **headers)
        assert response.status_code in (200, 302, 404), f"{what}: {response.status_code}"
        assert_hardened(response, what)


def test_a_vault_file_download_is_sandboxed_and_hardened(parent_client, family):
    response = parent_client.post("/documents/", {
        "kind": "tax_notice", "file": SimpleUploadedFile("avis.pdf", pdf_bytes())})
    assert response.status_code == 302
    document = Document.objects.get()
    got = parent_client.get(f"/documents/{document.pk}/", {"voir": "1"})
    assert got.status_code == 200
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["X-Frame-Options"] == "DENY"
    assert got["Content-Security-Policy"] == "sandbox"  # opened inline, it runs nothing


@pytest.mark.parametrize("url", ["/", "/faq/", "/accessibilite/", LOGIN_URL,
                                 "/compte/signup/", RESET_URL])
def test_public_pages_need_nothing_the_csp_blocks(client, url):
    """script-src 'self' blocks inline scripts and on* handlers: a page relying on one would
    silently break in the browser. JSON data blocks are not executed, hence allowed."""
    html = page_text(client.get(url))
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", html)
              if "src=" not in tag and 'type="application/json"' not in tag]
    assert not inline, f"{url}: inline scripts {inline}"
    assert not re.search(r"\son[a-z]+\s*=", html), f"{url}: an inline event handler"
    assert not re.search(r"""(src|href)=["']javascript:""", html)


@pytest.mark.parametrize("name", ["home", "reservations:calendar", "facturation:invoices",
                                  "familles:documents", "inscriptions:home",
                                  "reservations:absences", "familles:family"])
def test_parent_pages_need_nothing_the_csp_blocks(parent_client, family, name):
    html = page_text(parent_client.get(reverse(name)))
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", html)
              if "src=" not in tag and 'type="application/json"' not in tag]
    assert not inline, f"{name}: inline scripts {inline}"
    assert not re.search(r"\son[a-z]+\s*=", html), f"{name}: an inline event handler"


@pytest.fixture
def production_https(settings):
    """What portail/settings/production.py sets for HTTPS, on top of the shared headers."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_HTTPONLY = True
    return settings


def test_production_sends_http_to_https_and_pins_it(client, production_https):
    response = client.get("/faq/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/faq/"

    response = client.get("/faq/", HTTP_X_FORWARDED_PROTO="https")  # behind the proxy
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload")
    assert_hardened(response, "FAQ over HTTPS")


def test_production_cookies_are_secure_and_http_only(client, guardian, production_https):
    cache.clear()
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    page = client.get(LOGIN_URL, **https)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    response = client.post(LOGIN_URL, {"login": guardian.user.email, "password": PASSWORD},
                           **https)
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    # Parents stay logged in for the opening (issue 7: logins are not part of the rush).
    assert int(session["max-age"]) == django_settings.SESSION_COOKIE_AGE >= 7 * 24 * 3600


# --- per-IP rate limits: a login or reset storm gets 429 ------------------------------------

def ip_limit(action: str) -> int:
    """The per-IP allowance per minute that base.py sets for an allauth action."""
    [amount] = [int(rule.split("/")[0]) for rule in
                base_settings.ACCOUNT_RATE_LIMITS[action].split(",")
                if rule.endswith("/m/ip")]
    return amount


@pytest.fixture
def rate_limits(settings):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    cache.clear()
    yield settings.ACCOUNT_RATE_LIMITS
    cache.clear()


def test_a_login_storm_from_one_address_gets_429_even_with_right_passwords(client,
                                                                            rate_limits):
    """Each attempt is a different, real account with its right password: only the per-IP
    "login" limit can stop them, before any password hash is computed."""
    allowed = ip_limit("login")
    accounts = [GuardianFactory().user for _n in range(allowed + 1)]
    for user in accounts[:allowed]:
        response = client.__class__().post(LOGIN_URL, {"login": user.email,
                                                        "password": PASSWORD})
        assert response.status_code == 302, "within the allowance, each one logs in"

    last = client.__class__()
    response = last.post(LOGIN_URL, {"login": accounts[-1].email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Trop de tentatives</h1>" in page_text(response)
    assert "_auth_user_id" not in last.session

    # Another address is not affected.
    other = client.__class__(REMOTE_ADDR="192.0.2.44")
    response = other.post(LOGIN_URL, {"login": accounts[-1].email, "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_passwords_on_many_accounts_from_one_address_are_cut_off(client, rate_limits):
    """Password spraying: one wrong password per account stays under each account's limit;
    the per-IP limit on failures stops it."""
    allowed = ip_limit("login_failed")
    victims = [GuardianFactory().user for _n in range(allowed + 1)]
    for user in victims[:allowed]:
        response = client.post(LOGIN_URL, {"login": user.email, "password": "motdepasse123"})
        assert "incorrects" in page_text(response)

    victim = victims[-1]
    response = client.post(LOGIN_URL, {"login": victim.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "Trop de tentatives" in page_text(response)
    assert "_auth_user_id" not in client.session


def test_a_reset_storm_from_one_address_gets_429_and_sends_no_more_mail(client, rate_limits,
                                                                        mailoutbox):
    from ground.models import OutboxMessage

    allowed = ip_limit("reset_password")
    users = [GuardianFactory().user for _n in range(allowed + 1)]
    for user in users[:allowed]:
        assert client.post(RESET_URL, {"email": user.email}).status_code == 302
    queued = OutboxMessage.objects.count()

    response = client.post(RESET_URL, {"email": users[-1].email})
    assert response.status_code == 429
    assert "Trop de tentatives</h1>" in page_text(response)
    assert OutboxMessage.objects.count() == queued  # no reset link for the one refused


# --- upload abuse through the other entry points ---------------------------------------------

@pytest.fixture
def reservation(guardian):
    activity = bookable_activity()
    booker = ready_child(activity, guardian)
    return ReservationFactory(slot=SlotFactory(activity=activity), child=booker.child)


def justify(client, user, reservation, upload):
    """The parent justifies the absence just after the cancellation deadline."""
    when = deadline_for(reservation.slot.activity.deadline_rule, reservation.slot.date)
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        return client.post(reverse("reservations:justify", args=[reservation.pk]),
                           {"reason": "illness", "details": "Fièvre", "upload": upload})


def test_justification_refuses_an_oversized_certificate_in_french(parent_client, guardian,
                                                                  reservation, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    big = SimpleUploadedFile("certificat.pdf", pdf_bytes() + b"%" + b"x" * 1000,
                             content_type="application/pdf")
    before = set(stored_files())
    documents = Document.objects.count()
    response = justify(parent_client, guardian.user, reservation, big)
    assert response.status_code == 400
    assert "Le fichier dépasse la taille maximale de 1000 octets." in visible_text(response)
    assert not AbsenceJustification.objects.exists()
    assert Document.objects.count() == documents and set(stored_files()) == before


def test_justification_files_a_spoofed_image_by_its_content(parent_client, guardian,
                                                            reservation):
    image = SimpleUploadedFile("certificat.pdf", png_bytes(), content_type="application/pdf")
    before = set(stored_files())
    response = justify(parent_client, guardian.user, reservation, image)
    assert response.status_code == 302
    document = AbsenceJustification.objects.get().document
    assert (document.content_type, document.original_name) == ("image/png", "certificat.png")
    [path] = set(stored_files()) - before
    assert path.suffix == ".png"


def test_justification_keeps_a_path_trick_inside_the_vault(parent_client, guardian, family,
                                                           reservation, settings):
    trick = SimpleUploadedFile("../../../etc/passwd.pdf", pdf_bytes(),
                               content_type="application/pdf")
    before = set(stored_files())
    response = justify(parent_client, guardian.user, reservation, trick)
    assert response.status_code == 302
    document = AbsenceJustification.objects.get().document
    assert document.original_name == "passwd.pdf"
    [path] = set(stored_files()) - before
    assert path.resolve().is_relative_to(
        (settings.PRIVATE_MEDIA_ROOT / "documents" / str(family.pk)).resolve())
    assert "passwd" not in path.name  # a generated name, never the parent's


class CountingBody:
    """A request body as the server hands it to Django (`wsgi.input`): a file part that
    never ends, counting what is read from it."""

    def __init__(self):
        self.read_bytes = 0
        self.head = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; "
                     b"filename=\"scan.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n")

    def read(self, size=-1):
        size = 64 * 1024 if size is None or size < 0 else size
        chunk, self.head = self.head[:size], self.head[size:]
        chunk += b"0" * (size - len(chunk))
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        return self.read(size)


def test_a_body_over_the_cap_is_refused_in_french_before_it_is_read(parent_client, family):
    """Review finding 7: 64 MB announced to the upload page are refused from the request's
    Content-Length, with a French page, before a byte is read (nor written to disk)."""
    body = CountingBody()
    response = parent_client.generic(
        "POST", reverse("familles:documents"), b"",
        content_type="multipart/form-data; boundary=B",
        **{"CONTENT_LENGTH": str(64 * 1024 * 1024), "wsgi.input": body})
    assert response.status_code == 413
    text = visible_text(response)
    assert "Envoi trop volumineux" in text
    assert "au plus 10 Mo" in text
    assert body.read_bytes == 0
    assert not Document.objects.exists() and stored_files() == []
    assert_hardened(response, "413 page")


def test_a_form_over_djangos_memory_cap_gets_a_french_400(parent_client, family):
    """Form fields (not files) beyond DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses them as a
    bad request; the parent reads why, in French, on the portal's own page."""
    response = parent_client.post(reverse("familles:profile"),
                                  {"first_name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Demande incorrecte" in text
    assert "Bad Request" not in text
    assert_hardened(response, "400 page")


@pytest.fixture
def draft_file(family):
    activity = bookable_activity()
    child = ready_child(activity, family.guardians.first()).child
    AnnualFile.objects.filter(child=child).delete()
    return AnnualFileFactory(child=child, school_year=activity.school_year)


def post_file(client, annual_file, **uploads):
    data = {
        "school": "École du Centre", "school_class": "CE2", "vaccinations_up_to_date": "on",
        "vaccination_document": annual_file.vaccination_document_id, "diet": "none",
        "allowance_body": "caf", "allowance_number": "7654321",
        "income_document": annual_file.income_document_id, "photo_consent": "on",
        "accept_rules": "on", **uploads,
    }
    return client.post(reverse("inscriptions:annual_file",
                               args=[annual_file.child_id, annual_file.school_year_id]), data)


def test_annual_file_refuses_an_oversized_upload_in_french(parent_client, draft_file,
                                                           settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    before = set(stored_files())
    documents = Document.objects.count()
    response = post_file(parent_client, draft_file, income_document_upload=SimpleUploadedFile(
        "avis.pdf", pdf_bytes() + b"%" + b"x" * 1000))
    assert response.status_code == 400
    assert "Le fichier dépasse la taille maximale de 1000 octets." in visible_text(response)
    assert Document.objects.count() == documents
    assert set(stored_files()) == before


def test_annual_file_keeps_a_path_trick_inside_the_vault(parent_client, draft_file, family,
                                                         settings):
    before = set(stored_files())
    response = post_file(parent_client, draft_file, income_document_upload=SimpleUploadedFile(
        "..\\..\\..\\windows\\system.ini.pdf", pdf_bytes()))
    assert response.status_code == 302, visible_text(response)[:2000]
    [path] = set(stored_files()) - before
    assert path.resolve().is_relative_to(
        (settings.PRIVATE_MEDIA_ROOT / "documents" / str(family.pk)).resolve())
    assert "system" not in path.name
    document = Document.objects.get(pk=AnnualFile.objects.get(pk=draft_file.pk).income_document_id)
    assert "\\" not in document.original_name and "/" not in document.original_name
    assert document.original_name.endswith(".pdf")
