"""The « Éducation Jeunesse » group: what daily work on activities and reservations needs, and
nothing that would let staff rewrite a family's decisions or erase history."""

import pytest

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ALLOWED = [
    # The catalogue and its calendar.
    "inscriptions.add_activity", "inscriptions.change_activity", "inscriptions.add_site",
    "inscriptions.add_activityunit", "inscriptions.add_closureday",
    # Decisions, each e-mailed by its service.
    "inscriptions.decide_enrolment", "reservations.decide_absencejustification",
    # Periods, deadlines, capacities, slots.
    "reservations.add_bookingperiod", "reservations.change_deadlinerule",
    "reservations.add_agegroup", "reservations.change_capacityrule",
    "reservations.change_slot",
    # Registers.
    "reservations.add_attendance", "reservations.change_attendance",
    # Reading.
    "inscriptions.view_enrolment", "inscriptions.view_mealsubscription",
    "reservations.view_reservation", "reservations.view_calendarfeed",
]
REFUSED = [
    # Families ask for enrolments and choose their subscription; nobody erases them.
    "inscriptions.add_enrolment", "inscriptions.delete_enrolment",
    "inscriptions.change_mealsubscription", "inscriptions.delete_activity",
    # Bookings come from families (or subscriptions); history stays.
    "reservations.add_reservation", "reservations.delete_reservation",
    "reservations.delete_slot", "reservations.delete_attendance",
    "reservations.change_calendarfeed",
]


def test_staff_group_grants_daily_work_only():
    staff = StaffFactory()
    missing = [p for p in ALLOWED if not staff.has_perm(p)]
    extra = [p for p in REFUSED if staff.has_perm(p)]
    assert (missing, extra) == ([], [])
    assert not staff.is_superuser
