"""A household with a guardian served at the counter (no e-mail, no login) receives letters
to print where others receive e-mails; the family's journal tells it what the service did."""

import pytest
from django.urls import reverse

from familles import journal
from familles.models import FamilyEvent, Guardian, Letter
from ground.models import OutboxMessage
from reservations.models import Reservation
from reservations.services import booking
from tests.helpers import pdf_text
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.families import FamilyFactory, GuardianFactory
from tests.scenarios.reservations import SlotFactory, bookable_activity, ready_child
from tests.scenarios.summaries import send_summaries

pytestmark = pytest.mark.django_db


def counter_guardian(family=None, **kwargs) -> Guardian:
    return GuardianFactory(user=None, family=family or FamilyFactory(), first_name="Yvonne",
                           last_name="Le Goff", **kwargs)


def staff_booking(booker, slot, agent):
    return booking.book(booker.family, booker.child.pk, [slot.pk], agent,
                        source=Reservation.Source.STAFF)


def test_a_household_without_e_mail_gets_a_letter_for_a_booking_and_no_e_mail():
    activity = bookable_activity()
    slot = SlotFactory(activity=activity)
    booker = ready_child(activity, guardian=counter_guardian())
    [outcome] = staff_booking(booker, slot, StaffFactory())
    assert outcome.state == "confirmed"
    assert send_summaries() == 1
    assert not OutboxMessage.objects.filter(template="reservations_summary").exists()
    [letter] = Letter.objects.all()
    assert letter.family == booker.family
    assert letter.template == "reservations_summary"
    assert booker.child.first_name in letter.body_text
    assert letter.printed_at is None


def test_a_household_with_one_guardian_of_each_kind_gets_both():
    activity = bookable_activity()
    slot = SlotFactory(activity=activity)
    booker = ready_child(activity)
    counter_guardian(family=booker.family)
    staff_booking(booker, slot, StaffFactory())
    assert send_summaries() == 1
    [message] = OutboxMessage.objects.filter(template="reservations_summary")
    assert message.to == [booker.guardian.user.email]
    assert Letter.objects.filter(family=booker.family).count() == 1


def test_households_all_on_e_mail_get_no_letter():
    activity = bookable_activity()
    booker = ready_child(activity)
    staff_booking(booker, SlotFactory(activity=activity), StaffFactory())
    assert send_summaries() == 1
    assert OutboxMessage.objects.filter(template="reservations_summary").count() == 1
    assert not Letter.objects.exists()


def test_staff_print_the_letters_as_one_pdf_which_records_who_printed_them():
    activity = bookable_activity()
    booker = ready_child(activity, guardian=counter_guardian())
    staff_booking(booker, SlotFactory(activity=activity), StaffFactory())
    send_summaries()
    agent = StaffFactory(first_name="Nolwenn", last_name="Agent")
    client = login(agent)
    listing = client.get(reverse("admin:familles_letter_changelist") + "?imprime=non")
    assert listing.status_code == 200
    assert booker.family.name in listing.content.decode()
    letter = Letter.objects.get()
    response = client.post(reverse("admin:familles_letter_changelist"), {
        "action": "print_letters", "_selected_action": [letter.pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Yvonne Le Goff" in text
    assert booker.family.address in text
    assert booker.child.first_name in text
    letter.refresh_from_db()
    assert letter.printed_at is not None and letter.printed_by == agent
    after = client.get(reverse("admin:familles_letter_changelist") + "?imprime=non")
    assert booker.family.name not in after.content.decode()


def test_staff_without_the_permission_cannot_read_or_print_letters():
    Letter.objects.create(family=FamilyFactory(), subject="Objet", body_text="Texte")
    client = login(staff_without("view_letter"))
    assert client.get(reverse("admin:familles_letter_changelist")).status_code == 403


def test_the_family_reads_in_its_history_what_the_service_did_for_it_and_no_one_else_does():
    guardian = GuardianFactory()
    other = GuardianFactory()
    agent = StaffFactory(first_name="Nolwenn", last_name="Agent")
    journal.record(guardian.family, "Dossier 2026-2027 de Léa rempli pour vous", actor=agent,
                   channel=FamilyEvent.Channel.PHONE, reason="Appel de la mère")
    page = login(guardian.user).get(reverse("familles:family_history")).content.decode()
    assert "Dossier 2026-2027 de Léa rempli pour vous" in page
    assert "par téléphone" in page and "Nolwenn Agent" in page and "Appel de la mère" in page
    assert "Dossier 2026-2027" not in login(other.user).get(
        reverse("familles:family_history")).content.decode()
    # Staff read it on the family's page in the admin.
    admin_page = login(agent).get(reverse("admin:familles_family_change",
                                          args=[guardian.family.pk])).content.decode()
    assert "Appel de la mère" in admin_page


def test_a_guardian_without_login_shows_as_served_by_post_on_the_family_page():
    guardian = GuardianFactory()
    counter_guardian(family=guardian.family)
    page = login(guardian.user).get(reverse("familles:family")).content.decode()
    assert "Yvonne Le Goff" in page and "par courrier" in page
