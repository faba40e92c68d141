"""The justification window is the commune's setting: staff widen it in the admin and a
parent may justify at once a day that the default 48 h would refuse."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from ground.commune import commune
from reservations.deadlines import justification_deadline
from reservations.models import AbsenceJustification
from tests.helpers import visible_text
from tests.scenarios.families import ChildFactory
from tests.scenarios.reservations import ReservationFactory

pytestmark = pytest.mark.django_db

CHANGE = reverse("admin:ground_communesettings_change", args=[1])


def test_staff_widen_the_window_and_the_parent_justifies_at_once(staff_client, guardian, slot):
    reservation = ReservationFactory(slot=slot, child=ChildFactory(family=guardian.family))
    after_48_hours = justification_deadline(slot.date) + datetime.timedelta(hours=1)
    row = commune()
    data = {f.name: getattr(row, f.name) for f in row._meta.concrete_fields
            if f.editable and f.name != "payment_methods"}
    data.update(justification_hours=72, payment_methods=row.payment_methods)
    assert staff_client.post(CHANGE, data).status_code == 302

    with time_machine.travel(after_48_hours, tick=False):
        staff_client.force_login(guardian.user)
        page = staff_client.get(reverse("reservations:absences"))
        response = staff_client.post(reverse("reservations:justify", args=[reservation.pk]),
                                     {"reason": AbsenceJustification.Reason.ILLNESS,
                                      "details": "Fièvre."})
    assert "72" in visible_text(page)
    assert response.status_code == 302
    assert AbsenceJustification.objects.filter(reservation=reservation).exists()
