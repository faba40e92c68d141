"""The layout rendered once per language and kind of visitor ({% fixed %})."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.urls import set_script_prefix

from ground.commune import commune, update_commune
from portail.views import faq
from tests.helpers import page_text


def menu(response) -> str:
    html = response.content.decode()
    return html[html.index("<header"):html.index("</header>")]


def test_a_fixed_block_is_rendered_once_per_combination_of_its_conditions():
    template = Template("{% load fixed %}{% fixed flag %}{{ value }}{% endfixed %}")
    assert template.render(Context({"flag": True, "value": "premier"})) == "premier"
    assert template.render(Context({"flag": 1, "value": "second"})) == "premier"
    assert template.render(Context({"flag": None, "value": "troisième"})) == "troisième"
    assert template.render(Context({"flag": "", "value": "quatrième"})) == "troisième"


@pytest.mark.django_db
def test_each_kind_of_visitor_gets_his_own_menu_from_the_same_process(
    client, guardian, staff_user,
):
    anonymous = menu(client.get("/faq/"))
    assert "Se connecter" in anonymous and "Se déconnecter" not in anonymous

    client.force_login(guardian.user)
    parent = menu(client.get("/faq/"))
    assert "Ma famille" in parent and "Se déconnecter" in parent and "Gestion" not in parent
    assert 'name="csrfmiddlewaretoken"' in parent  # the logout form's own, never fixed

    client.force_login(staff_user)
    staff = menu(client.get("/faq/"))
    assert "Gestion" in staff and "Ma famille" not in staff and "Se connecter" not in staff

    client.logout()
    assert menu(client.get("/faq/")) == anonymous


@pytest.mark.django_db
def test_the_layout_follows_the_address_the_portal_is_mounted_at(client, rf):
    assert 'href="/faq/"' in menu(client.get("/faq/"))
    request = rf.get("/faq/")  # as gunicorn behind /portail/ hands it over
    request.user = AnonymousUser()
    set_script_prefix("/portail/")
    try:
        mounted = menu(faq(request))
    finally:
        set_script_prefix("/")
    assert 'href="/portail/faq/"' in mounted and 'href="/faq/"' not in mounted
    assert 'href="/faq/"' in menu(client.get("/faq/"))


@pytest.mark.django_db
def test_a_changed_setting_reaches_the_layout(client):
    client.get("/faq/")
    before = commune().name
    update_commune(name="Saint-Essai-sur-Test")
    assert "Saint-Essai-sur-Test" in page_text(client.get("/faq/"))
    update_commune(name=before)
    assert "Saint-Essai-sur-Test" not in page_text(client.get("/faq/"))
