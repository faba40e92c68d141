"""The layout's cached parts ({% cache %} in base.html) are the same for everyone of a kind:
each visitor still gets his own menu, and the commune's details as they are now."""

from django.test import Client
from django.urls import reverse

from ground.commune import update_commune
from tests.scenarios.accounts import StaffFactory, login

FAMILY_LINK = reverse("familles:family")


def test_each_kind_of_visitor_gets_his_own_menu_whoever_came_first(parent_client, db):
    faq = reverse("faq")
    assert FAMILY_LINK in parent_client.get(faq).content.decode()  # cached now
    staff = login(StaffFactory()).get(faq).content.decode()
    visitor = Client().get(faq).content.decode()
    assert FAMILY_LINK not in staff and reverse("admin:index") in staff
    assert FAMILY_LINK not in visitor and reverse("account_login") in visitor
    assert FAMILY_LINK in parent_client.get(faq).content.decode()


def test_the_footer_shows_the_communes_details_as_they_are_now(client, db):
    assert "tel:0199999999" not in client.get(reverse("faq")).content.decode()  # cached now
    update_commune(service_phone="01 99 99 99 99")
    page = client.get(reverse("faq")).content.decode()
    assert "tel:0199999999" in page
