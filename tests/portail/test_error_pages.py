"""Issue 23, item 10: every error page, through HTTP with DEBUG off, is French, in the
layout, gives the service's phone and a way back; the 500 page renders without the database;
a GET on a POST-only address (« payer ») is the French 405 page, not an empty answer."""

import uuid

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

from ground import commune as commune_module
from ground.commune import update_commune
from tests.helpers import visible_text
from tests.scenarios.accounts import login

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls")]

PHONE = "02 98 11 22 33"


@pytest.fixture(autouse=True)
def _service_phone():
    update_commune(service_phone=PHONE)


def assert_french_page_in_layout(response, status, heading):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    text = visible_text(response)
    assert '<html lang="fr">' in html
    assert 'class="site-header"' in html, "the layout's header"
    assert heading in text
    assert PHONE in text, "the service's phone"
    assert "Revenir à l'accueil" in text, "a way back"
    for english in ("Not Found", "Forbidden", "Server Error", "Method Not Allowed", "CSRF"):
        assert english not in text
    return text


def test_these_pages_are_the_ones_without_debug():
    """Django's debug 404 lists every URL: only DEBUG shows it. Production never has it,
    whatever its environment says (tests/portail/test_deploy.py)."""
    assert django_settings.DEBUG is False


def test_404_unknown_address(client):
    assert_french_page_in_layout(client.get("/nulle-part/"), 404, "Page introuvable")


def test_404_for_a_logged_in_parent(parent_client):
    text = assert_french_page_in_layout(parent_client.get("/nulle-part/"), 404,
                                        "Page introuvable")
    assert "Mes factures" in text, "the parent's menu"


def test_403_permission_denied(client):
    assert_french_page_in_layout(client.get("/essai/interdit/"), 403, "Accès refusé")


def test_403_expired_form_csrf(guardian):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/compte/login/", {"login": guardian.user.email, "password": "x"})
    assert_french_page_in_layout(response, 403, "Formulaire expiré")


def test_405_get_on_pay_address(parent_client):
    """A « Payer » address opened as a link: the French page, its Allow header kept."""
    response = parent_client.get(f"/factures/{uuid.uuid4()}/payer/")
    assert_french_page_in_layout(response, 405, "Action impossible depuis ce lien")
    assert "POST" in response["Allow"]


def test_405_get_on_a_post_only_function_view(parent_client):
    response = parent_client.get("/paiement/stripe/webhook/")
    assert_french_page_in_layout(response, 405, "Action impossible depuis ce lien")


def test_400_malformed_address(client):
    assert_french_page_in_layout(client.get("/nulle-part/?x=%00"), 400, "Demande incorrecte")


def test_413_body_too_big(client):
    response = client.post("/", data="", content_type="text/plain", CONTENT_LENGTH=str(10**10))
    assert_french_page_in_layout(response, 413, "Envoi trop volumineux")


def test_500_with_the_commune_cached_needs_no_query(client, django_assert_num_queries):
    client.raise_request_exception = False
    commune_module.commune()  # as after any page: the settings are in this process's copy
    with django_assert_num_queries(0):
        response = client.get("/essai/base-indisponible/")
    assert_french_page_in_layout(response, 500, "Erreur du portail")


def test_500_with_the_database_unreachable(client, django_db_blocker):
    """The database is gone and the commune's settings are not cached: the page still
    renders, French, with a way back and whom to call."""
    client.raise_request_exception = False
    commune_module.forget()
    with django_db_blocker.block():
        response = client.get("/essai/base-indisponible/")
    assert response.status_code == 500
    text = visible_text(response)
    assert "Erreur du portail" in text
    assert "Revenir à l'accueil" in text
    assert "Appelez le service Éducation Jeunesse de votre mairie" in text


def test_every_layout_names_the_portals_own_icon(client, staff_user):
    """Issue 23, item 15: the tab shows the portal's icon, served from our own static files:
    the parent layout, the 500 page (without the database) and the staff admin."""
    icons = [static("img/favicon.ico"), static("img/favicon.svg"),
             static("img/apple-touch-icon.png")]
    for name in ("img/favicon.ico", "img/favicon.svg", "img/apple-touch-icon.png"):
        assert finders.find(name), name
    client.raise_request_exception = False
    pages = [client.get("/"), client.get("/nulle-part/"), client.get("/essai/base-indisponible/"),
             login(staff_user).get("/gestion/")]
    for response in pages:
        html = response.content.decode()
        for icon in icons:
            assert f'href="{icon}"' in html, (response.request["PATH_INFO"], icon)
    assert 'rel="icon"' in pages[-1].content.decode()
    conventional = client.get("/favicon.ico")
    assert conventional.status_code == 301
    assert conventional.url == icons[0]
