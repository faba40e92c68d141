"""The e-mail acknowledging an absence justification carries its reason and details, health
data (GDPR art. 9): in the admin's outbox only staff allowed to see health data read it, and
each reading is recorded, as for the dossier administratif (docs/security.md, section 1)."""

import pytest
from django.core import mail

from ground import outbox
from ground.models import OutboxMessage
from inscriptions.models import HealthDataAccess
from reservations.deadlines import deadline_for
from reservations.services import absences
from tests.helpers import visible_text
from tests.outbox_pages import OUTBOX_ADMIN, outbox_admin_pages, outbox_search_count
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.reservations import ReservationFactory

HEALTH = ["Maladie de l'enfant", "Fièvre et otite depuis la veille"]


@pytest.fixture
def acknowledgement(booker, slot):
    """The « justification reçue » e-mail of an absence for illness, waiting in the outbox."""
    reservation = ReservationFactory(slot=slot, child=booker.child)
    absences.justify_absence(
        booker.family, reservation.pk, reason="illness", details=HEALTH[1], user=booker.user,
        now=deadline_for(slot.activity.deadline_rule, slot.date))
    return OutboxMessage.objects.get(template="absence_justification_received")


def visible(pages: dict) -> str:
    return " ".join(visible_text(response) for response in pages.values())


def test_staff_without_the_health_permission_never_read_nor_find_the_reason(acknowledgement):
    staff = login(staff_without("view_health_data"))
    for moment in ("waiting", "sent"):
        text = visible(outbox_admin_pages(staff, searches=["Maladie", "otite"]))
        for health in HEALTH:
            assert health not in text, (moment, health)
        assert "Justification reçue" in text or "justification reçue" in text
        assert outbox_search_count(staff, "Maladie") == 0
        assert outbox_search_count(staff, "otite") == 0
        outbox.drain()
    assert not HealthDataAccess.objects.exists()
    # The family's e-mail says it all.
    [email] = mail.outbox
    assert all(health in email.body for health in HEALTH)


def test_staff_with_the_health_permission_read_it_and_each_reading_is_recorded(
        acknowledgement):
    agent = StaffFactory()  # the default group holds view_health_data
    staff = login(agent)
    change = f"{OUTBOX_ADMIN}{acknowledgement.pk}/change/"

    assert staff.get(OUTBOX_ADMIN).status_code == 200  # the list shows no body: no record
    assert not HealthDataAccess.objects.exists()
    text = visible_text(staff.get(change))
    assert all(health in text for health in HEALTH)
    access = HealthDataAccess.objects.get()
    assert (access.user, access.content_type.model_class(), access.object_id, access.action) == (
        agent, OutboxMessage, str(acknowledgement.pk), HealthDataAccess.Action.VIEW)

    outbox.drain()  # still readable once sent, by those allowed
    text = visible_text(staff.get(change))
    assert all(health in text for health in HEALTH)
    assert HealthDataAccess.objects.count() == 2
    # The journal of health data readings shows it to those who review it.
    journal = visible_text(staff.get("/gestion/inscriptions/healthdataaccess/"))
    assert change in journal  # the page read, which names the message


def test_a_body_sealed_under_a_forgotten_key_is_said_unreadable_not_an_error(
        acknowledgement, settings):
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789-abcdefghijklmnop"
    response = login(StaffFactory()).get(f"{OUTBOX_ADMIN}{acknowledgement.pk}/change/")
    assert response.status_code == 200
    # (visible_text splits on blanks, non-breaking ones included)
    assert "Illisible : scellé avec une clé qui n'est plus celle du portail." in (
        visible_text(response))
