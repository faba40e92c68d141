"""The allocation bench at a small size: the form it sends is the one the portal reads (every
Wednesday of each child wished), its runs time a real draft, and its « being early is worth
nothing » figure is the share granted per part of the window."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from bench.allocation import replace_wishes, shares_by_arrival, time_run, wish_form
from reservations.models import AllocationEntry, BookingPeriod, Wish
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.allocation import allocation_activity, household

pytestmark = pytest.mark.django_db


def test_the_benchs_form_sends_every_wednesday_of_each_child(client):
    allocated = allocation_activity(days=3)
    bookers = household(allocated.activity, children=2)
    page = f"/reservations/voeux/{allocated.period.pk}/"
    children = [b.child.pk for b in bookers]
    with time_machine.travel(allocated.during, tick=False):
        client.force_login(bookers[0].user)
        response = client.post(page, wish_form("", children, [s.pk for s in allocated.slots]))
    assert response.status_code == 303
    assert Wish.objects.filter(period=allocated.period).count() == 2 * 3


def test_a_timed_run_is_a_real_draft_of_every_wish():
    allocated = allocation_activity(days=3, capacity=1)
    bookers = [b for _ in range(3) for b in household(allocated.activity)]
    BookingPeriod.objects.filter(pk=allocated.period.pk).update(
        wishes_open_at=timezone.now() - datetime.timedelta(days=2))
    families = [b.family.pk for b in bookers]
    data = {"period": allocated.period, "slots": [s.pk for s in allocated.slots],
            "staff": StaffFactory(), "families": families,
            "children": {b.family.pk: [b.child.pk] for b in bookers}}
    assert replace_wishes(data, families=2, days=3) == 6
    run, pure, allocation = time_run(data)
    assert run > 0 and pure > 0
    entries = AllocationEntry.objects.filter(allocation=allocation)
    assert entries.count() == 6 and entries.filter(outcome="granted").count() == 3
    # Again at another size: the previous run and wishes are replaced, not added to.
    assert replace_wishes(data, families=3, days=2) == 6
    _run, _pure, again = time_run(data)
    assert AllocationEntry.objects.filter(allocation=again).count() == 6


def test_shares_are_read_per_part_of_the_window_by_when_families_sent():
    sent = {1: 0.0, 2: 1.0, 3: 5.0, 4: 9.0, 5: 10.0}
    entries = [(1, True), (1, False), (2, True), (3, False), (4, True), (5, True), (5, True)]
    assert shares_by_arrival(sent, entries) == [(2, 2 / 3), (1, 0.0), (2, 1.0)]
    assert shares_by_arrival({}, entries) == []
