"""The service's messages on the parent's side: the household's own, newest first, the recent
ones on the dashboard and all of them on « Messages du service »; never another household's,
never a draft."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portail.models import MessageDelivery
from tests.scenarios.families import ChildFactory
from tests.scenarios.messages import MessageFactory

pytestmark = pytest.mark.django_db


def delivered(family, subject, days_ago=0, **kwargs):
    """A message sent `days_ago` to this household (its delivery written)."""
    sent_at = timezone.now() - timedelta(days=days_ago)
    message = MessageFactory(sent=True, subject=subject, sent_at=sent_at, **kwargs)
    MessageDelivery.objects.create(message=message, family=family, written_at=sent_at)
    return message


def test_dashboard_shows_the_households_recent_messages_newest_first(
        parent_client, family, other_guardian):
    delivered(family, "Grève du jeudi", days_ago=3, body="Service minimum à la cantine.")
    delivered(family, "Menus de mars", days_ago=1)
    delivered(family, "Fermeture de l'été dernier", days_ago=200)
    delivered(other_guardian.family, "Relance de l'autre famille")
    MessageFactory(subject="Brouillon jamais envoyé")

    html = parent_client.get(reverse("home")).content.decode()
    assert "Messages du service" in html
    assert html.index("Menus de mars") < html.index("Grève du jeudi")
    assert "Service minimum à la cantine." in html
    assert "Fermeture de l&#x27;été dernier" not in html  # older: on the full list only
    assert "Relance de l" not in html and "Brouillon jamais envoyé" not in html

    full = parent_client.get(reverse("messages")).content.decode()
    assert "Fermeture de l&#x27;été dernier" in full and "Menus de mars" in full
    assert "Relance de l" not in full and "Brouillon jamais envoyé" not in full


def test_the_second_household_in_shared_custody_reads_its_own_copy(
        client, family, other_guardian):
    ChildFactory(family=family, second_family=other_guardian.family)
    delivered(other_guardian.family, "Sortie au musée")
    client.force_login(other_guardian.user)
    assert "Sortie au musée" in client.get(reverse("home")).content.decode()


def test_no_message_no_section(parent_client):
    page = parent_client.get(reverse("home")).content.decode()
    assert 'id="service-messages-title"' not in page  # the menu's link to the page stays


def test_the_messages_page_needs_a_login(client):
    response = client.get(reverse("messages"))
    assert response.status_code == 302 and "/compte/login/" in response["Location"]
