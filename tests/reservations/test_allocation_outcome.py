"""What the parent pages read of an allocation: the household's own wishes, and after
publication each wish's outcome as it is now (granted and declinable until when, or waiting
with today's rank), never another household's; and the rules shown before wishing."""

import datetime

import pytest
from django.utils import timezone

from familles.access import children_of
from reservations import allocation_pages, allocation_queries
from reservations.models import AllocationRule
from reservations.services import decline, publish_allocation, run_allocation
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.allocation import allocation_activity, household, wish

pytestmark = pytest.mark.django_db


@pytest.fixture
def contest():
    """One Wednesday, one place; three households of one child wish it."""
    allocated = allocation_activity(days=1, capacity=1)
    allocated.bookers = [household(allocated.activity)[0] for _ in range(3)]
    for booker in allocated.bookers:
        wish(booker, allocated.slots, allocated.during)
    return allocated


def _publish(allocated):
    staff = StaffFactory()
    allocation = run_allocation(allocated.period.pk, staff, now=allocated.after)
    return publish_allocation(allocation.pk, staff, now=allocated.after)


def test_a_household_reads_its_own_wishes_only(contest):
    first, second, _third = contest.bookers
    assert [w.child for w in allocation_queries.household_wishes(first.family, contest.period)
            ] == [first.child]
    assert second.child not in [w.child for w in allocation_queries.household_wishes(
        first.family, contest.period)]


def test_nothing_is_shown_as_an_outcome_before_publication(contest):
    run_allocation(contest.period.pk, StaffFactory(), now=contest.after)  # a draft
    assert allocation_queries.household_outcome(contest.bookers[0].family, contest.period,
                                                contest.after) == []


def test_each_household_reads_its_outcome_and_the_waiting_list_moves(contest,
                                                                     django_assert_num_queries):
    allocation = _publish(contest)
    moment = contest.after + datetime.timedelta(hours=1)
    lines = {}
    for booker in contest.bookers:
        with django_assert_num_queries(3):
            found = allocation_queries.household_outcome(booker.family, contest.period, moment)
        assert [line.entry.child_id for line in found] == [booker.child.pk]
        lines[booker.child.pk] = found[0]
    [winner] = [line for line in lines.values() if line.entry.outcome == "granted"]
    waiting = sorted((line for line in lines.values() if line.entry.outcome == "waiting"),
                     key=lambda line: line.entry.waiting_order)
    assert winner.can_decline and winner.reservation.state == "confirmed"
    assert winner.decline_until == allocation.published_at + datetime.timedelta(
        days=contest.period.decline_days)
    assert [line.waiting_rank for line in waiting] == [1, 2]
    assert not any(line.can_decline for line in waiting)
    # The winner gives the day back: the first waiting gets it, the second moves up
    holder = next(b for b in contest.bookers if b.child.pk == winner.entry.child_id)
    decline(holder.family, holder.child.pk, contest.slots[0].pk, holder.user, now=moment)
    after = {b.child.pk: allocation_queries.household_outcome(b.family, contest.period,
                                                              moment)[0]
             for b in contest.bookers}
    assert after[waiting[0].entry.child_id].reservation.state == "confirmed"
    assert after[waiting[1].entry.child_id].waiting_rank == 1
    assert after[holder.child.pk].entry.declined_at is not None
    assert not after[holder.child.pk].can_decline


def test_the_rules_shown_to_parents_are_the_enabled_ones_in_order():
    AllocationRule.objects.filter(kind="working").update(enabled=False)
    AllocationRule.objects.filter(kind="priority").update(position=0)
    assert [r.kind for r in allocation_queries.rules_for_parents()] == [
        "priority", "resident", "siblings"]


def test_a_household_finds_the_allocation_periods_of_its_childrens_activities(contest):
    booker = contest.bookers[0]
    # A household none of whose children is in the period's activity.
    elsewhere = household(allocation_activity(days=1).activity)[0].family

    def periods(family, day):
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        return [notice.period for notice in
                allocation_pages.household_periods(family, children_of(family), moment)]

    today = contest.slots[0].date
    assert periods(booker.family, today) == [contest.period]
    assert contest.period not in periods(elsewhere, today)
    after_the_period = contest.period.last_day + datetime.timedelta(days=1)
    assert periods(booker.family, after_the_period) == []
