"""The family's page lists the e-mails sent to its guardians (subjects only), found in the
outbox by their recipients: exactly the household's addresses, not a neighbour's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from familles.models import FamilyEvent, Letter
from ground.models import OutboxMessage
from tests.helpers import page_text
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.counter import FAMILY_PAGE
from tests.scenarios.families import ChildFactory, DocumentFactory, GuardianFactory

pytestmark = pytest.mark.django_db


def outbox(to: list[str], subject: str) -> OutboxMessage:
    return OutboxMessage.objects.create(to=to, subject=subject, body_text="Corps du message",
                                        from_email="mairie@example.org")


def test_the_family_page_lists_the_e_mails_to_its_guardians_only():
    guardian = GuardianFactory(user__email="anne@example.org")
    outbox([guardian.user.email], "Rentrée de septembre")
    outbox(["autre@example.org", guardian.user.email], "Facture d'octobre")
    # A neighbour whose address holds hers: not this family's.
    outbox(["marianne@example.org"], "Message d'un voisin")
    page = page_text(login(StaffFactory()).get(FAMILY_PAGE.format(guardian.family.pk)))
    assert "Rentrée de septembre" in page and "Facture d'octobre" in page
    assert "Message d'un voisin" not in page
    assert "Corps du message" not in page  # subjects only, never a body


def test_the_family_page_costs_the_same_queries_for_a_larger_family():
    """No query per child, guardian, document, e-mail, letter or journal line."""
    guardian = GuardianFactory(user__email="paul@example.org")
    family = guardian.family
    ChildFactory(family=family)
    DocumentFactory(family=family)
    outbox([guardian.user.email], "Premier message")
    client = login(StaffFactory())
    url = FAMILY_PAGE.format(family.pk)
    client.get(url)  # warm the session and the commune's settings
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    second = GuardianFactory(family=family, user__email="lea@example.org")
    for n in range(3):
        child = ChildFactory(family=family)
        DocumentFactory(family=family, child=child)
        outbox([second.user.email], f"Message n° {n}")
        Letter.objects.create(family=family, subject=f"Courrier n° {n}", body_text="Texte")
        FamilyEvent.objects.create(family=family, summary=f"Action n° {n}")
    with CaptureQueriesContext(connection) as large:
        page = page_text(client.get(url))
    assert "Message n° 2" in page and "Courrier n° 2" in page and "Action n° 2" in page
    assert len(large) == len(small), [q["sql"] for q in large]


def test_invoices_and_e_mails_only_for_staff_who_may_view_them():
    guardian = GuardianFactory(user__email="jeanne@example.org")
    outbox([guardian.user.email], "Rentrée de septembre")
    url = FAMILY_PAGE.format(guardian.family.pk)
    allowed = page_text(login(StaffFactory()).get(url))
    assert "Rentrée de septembre" in allowed and "Reste à payer" in allowed
    page = page_text(login(staff_without("view_invoice", "view_outboxmessage")).get(url))
    assert "Rentrée de septembre" not in page and "Reste à payer" not in page
    assert "Aucun courrier." in page  # the letters stay: their permission is held
