"""The family's page lists the e-mails sent to its guardians (subjects only), found in the
outbox by their recipients: exactly the household's addresses, not a neighbour's."""

import pytest

from ground.models import OutboxMessage
from tests.helpers import page_text
from tests.scenarios.accounts import StaffFactory, login
from tests.scenarios.counter import FAMILY_PAGE
from tests.scenarios.families import GuardianFactory

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
