"""The « Éducation Jeunesse » group: what daily work on activities and reservations needs, and
nothing that would let staff rewrite a family's decisions or erase history."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from portail.staff import STAFF_GROUP_NAME
from tests.scenarios.accounts import StaffFactory

pytestmark = pytest.mark.django_db

ALLOWED = [
    # The front desk acts for families through their own services (docs/front-desk.md).
    "familles.add_family", "familles.add_guardian", "familles.add_document",
    "inscriptions.change_annualfile", "inscriptions.add_enrolment",
    "reservations.add_reservation", "reservations.add_absencejustification",
    # The catalogue and its calendar.
    "inscriptions.add_activity", "inscriptions.change_activity", "inscriptions.add_site",
    "inscriptions.add_activityunit", "inscriptions.add_closureday",
    # Decisions, each e-mailed by its service.
    "inscriptions.decide_enrolment", "reservations.decide_absencejustification",
    # Periods, deadlines, capacities, slots.
    "reservations.add_bookingperiod", "reservations.change_deadlinerule",
    "reservations.add_agegroup", "reservations.change_capacityrule",
    "reservations.change_slot",
    # Allocation: rules and priorities, a draft, its publication (permissions of their own).
    "reservations.change_allocationrule", "reservations.add_allocationpriority",
    "reservations.run_allocation", "reservations.publish_allocation",
    "reservations.view_allocation", "reservations.view_wish",
    # Registers.
    "reservations.add_attendance", "reservations.change_attendance",
    # Reading.
    "inscriptions.view_enrolment", "reservations.view_mealsubscription",
    "reservations.view_reservation", "reservations.view_calendarfeed",
    # Invoicing: tariffs and rules, preparing and issuing a month, recording payments.
    "facturation.add_tariff", "facturation.change_tariff", "facturation.add_tariffbracket",
    "facturation.change_tariffbracket", "facturation.add_billingrule",
    "facturation.change_billingrule", "facturation.add_billingrun",
    "facturation.issue_billingrun", "facturation.view_invoice", "facturation.view_invoiceline",
    "facturation.view_creditnote", "facturation.view_payment", "facturation.add_payment",
    "facturation.view_familycharge", "facturation.view_invoicecharge",
    # Online payments no invoice took: staff refund them, then tick « remboursé ».
    "facturation.view_unmatchedpayment", "facturation.change_unmatchedpayment",
    # Online attempts of every provider: read only.
    "facturation.view_paymentattempt",
    # The commune's settings: contacts, delays, payment methods (one row, kept).
    "ground.view_communesettings", "ground.change_communesettings",
    # Messages to families: drafts, then sending (a permission of its own).
    "portail.add_message", "portail.change_message", "portail.send_message",
    "portail.view_messagedelivery",
]
REFUSED = [
    # Families ask for enrolments and choose their subscription; nobody erases them.
    "inscriptions.delete_enrolment",
    "reservations.change_mealsubscription", "inscriptions.delete_activity",
    # Bookings come from families, subscriptions or the front desk (through the booking
    # service); history stays.
    "reservations.delete_reservation",
    "reservations.delete_slot", "reservations.delete_attendance",
    "reservations.change_calendarfeed",
    # Wishes are the families'; a run is changed only by running or publishing it.
    "reservations.change_wish", "reservations.delete_wish", "reservations.change_allocation",
    "reservations.delete_allocation", "reservations.add_allocationrule",
    "reservations.delete_allocationrule",
    # Money: an invoice or credit note never changes and is never deleted; a payment is
    # recorded once, never rewritten; a tariff is replaced by a newer one, not deleted.
    "facturation.add_invoice", "facturation.change_invoice", "facturation.delete_invoice",
    "facturation.change_invoiceline", "facturation.delete_invoiceline",
    "facturation.add_familycharge", "facturation.change_familycharge",
    "facturation.delete_familycharge", "facturation.change_invoicecharge",
    "facturation.add_creditnote", "facturation.change_creditnote",
    "facturation.delete_creditnote", "facturation.change_payment",
    "facturation.delete_payment", "facturation.change_billingrun",
    "facturation.delete_billingrun", "facturation.delete_tariff",
    "facturation.change_stripeevent", "facturation.delete_stripeevent",
    "facturation.add_unmatchedpayment", "facturation.delete_unmatchedpayment",
    "facturation.add_paymentattempt", "facturation.change_paymentattempt",
    "facturation.delete_paymentattempt",
    "ground.add_communesettings", "ground.delete_communesettings",
    # What a message was sent to is its record.
    "portail.add_messagedelivery", "portail.change_messagedelivery",
    "portail.delete_messagedelivery",
]


def test_staff_group_grants_daily_work_only():
    staff = StaffFactory()
    missing = [p for p in ALLOWED if not staff.has_perm(p)]
    extra = [p for p in REFUSED if staff.has_perm(p)]
    assert (missing, extra) == ([], [])
    assert not staff.is_superuser


def test_migrate_gives_the_group_its_permissions_without_the_demo():
    """A deployment runs `migrate`, never the demo: the group must come from it, with the
    commune's settings among what staff may change."""
    Group.objects.filter(name=STAFF_GROUP_NAME).delete()
    call_command("migrate", verbosity=0)
    group = Group.objects.get(name=STAFF_GROUP_NAME)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert {"ground.change_communesettings", "ground.view_outboxmessage", "portail.send_message",
            "reservations.view_mealsubscription", "inscriptions.decide_annualfile"} <= granted
