"""Wishes in an allocation period: only during the window, only for the household's own
children enrolled in the activity, replaced as a whole, and no booking before publication."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reservations.models import BookingPeriod, Wish
from reservations.services import (
    WishRequest,
    apply_opened_periods,
    commit_draw,
    submit_wishes,
)
from tests.scenarios.allocation import allocation_activity, household, wish
from tests.scenarios.enrolments import ActivityFactory, AnnualFileFactory
from tests.scenarios.families import ChildFactory
from tests.scenarios.reservations import SlotFactory, book_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def allocated():
    return allocation_activity(days=3)


def test_a_household_wishes_during_the_window_and_changes_its_mind(allocated):
    [booker] = household(allocated.activity)
    first = wish(booker, allocated.slots, allocated.during, ranks={allocated.slots[2].pk: 1})
    assert {w.slot_id for w in first} == {s.pk for s in allocated.slots}
    assert [w.rank for w in first if w.slot_id == allocated.slots[2].pk] == [1]
    again = wish(booker, allocated.slots[:1], allocated.during)
    assert [w.slot_id for w in again] == [allocated.slots[0].pk]
    assert Wish.objects.filter(child=booker.child).count() == 1


@pytest.mark.parametrize("moment", ["before", "after"])
def test_wishes_are_refused_outside_the_window_with_its_dates(allocated, moment):
    [booker] = household(allocated.activity)
    now = (allocated.period.wishes_open_at - datetime.timedelta(minutes=1) if moment == "before"
           else allocated.period.wishes_close_at)
    with pytest.raises(ValidationError) as refused:
        wish(booker, allocated.slots, now)
    assert ("ouvrent le" if moment == "before" else "clos depuis") in refused.value.messages[0]
    assert not Wish.objects.exists()


def test_a_household_cannot_wish_for_another_familys_child(allocated):
    [booker] = household(allocated.activity)
    [other] = household(allocated.activity)
    with pytest.raises(ValidationError, match="n'appartient pas à votre famille"):
        submit_wishes(booker.family, allocated.period.pk, [other.child.pk],
                      [WishRequest(other.child.pk, allocated.slots[0].pk)], booker.user,
                      now=allocated.during)
    assert not Wish.objects.exists()


def test_a_child_without_enrolment_or_validated_file_cannot_wish_and_nothing_is_kept(allocated):
    [booker] = household(allocated.activity)
    unenrolled = ChildFactory(family=booker.family, first_name="Lou")
    AnnualFileFactory(child=unenrolled, school_year=allocated.activity.school_year,
                      validated=True)
    with pytest.raises(ValidationError) as refused:
        submit_wishes(booker.family, allocated.period.pk, [booker.child.pk, unenrolled.pk],
                      [WishRequest(booker.child.pk, allocated.slots[0].pk),
                       WishRequest(unenrolled.pk, allocated.slots[0].pk)],
                      booker.user, now=allocated.during)
    assert any("Lou n'est pas inscrite" in m for m in refused.value.messages)
    assert not Wish.objects.exists()  # all or nothing


def test_a_day_outside_the_period_or_closed_is_refused(allocated):
    [booker] = household(allocated.activity)
    elsewhere = SlotFactory()  # another activity's day
    closed = allocated.slots[1]
    closed.closed, closed.closed_reason = True, "grève"
    closed.save()
    with pytest.raises(ValidationError) as refused:
        wish(booker, [elsewhere, closed], allocated.during)
    assert any("n'appartient pas à la période" in m for m in refused.value.messages)
    assert any("grève" in m for m in refused.value.messages)


def test_nobody_books_an_allocation_period_before_publication(allocated):
    [booker] = household(allocated.activity)
    outcome = book_as(booker, allocated.slots[0], now=allocated.opening)
    assert outcome.state == "refused"
    assert "tirage au sort" in outcome.message


def test_the_draw_is_committed_before_the_window_and_never_changes_after(allocated):
    period = allocated.period
    assert len(period.draw_secret) == 64
    assert period.draw_commitment == hashlib.sha256(period.draw_secret.encode()).hexdigest()
    # Committed once: calling again keeps it
    assert commit_draw(period.pk).draw_secret == period.draw_secret
    # A period put in allocation mode after its window opened cannot get a secret any more
    late = BookingPeriod.objects.create(
        activity=allocated.activity, label="Tard", first_day=period.first_day,
        last_day=period.last_day, mode=BookingPeriod.Mode.ALLOCATION,
        wishes_open_at=period.wishes_open_at, wishes_close_at=period.wishes_close_at,
        opens_at=period.opens_at)
    with pytest.raises(ValidationError, match="trop tard"):
        commit_draw(late.pk, now=allocated.during)
    late.refresh_from_db()
    assert late.draw_secret == "" and late.draw_commitment == ""


def test_canteen_subscriptions_wait_for_the_allocation_to_be_published():
    activity = ActivityFactory(canteen=True)
    now = timezone.now()
    period = BookingPeriod.objects.create(
        activity=activity, label="Cantine", first_day=activity.school_year.start_date,
        last_day=activity.school_year.end_date, mode=BookingPeriod.Mode.ALLOCATION,
        wishes_open_at=now - datetime.timedelta(days=3),
        wishes_close_at=now - datetime.timedelta(days=2),
        opens_at=now - datetime.timedelta(days=1))
    apply_opened_periods(now)
    period.refresh_from_db()
    assert period.subscriptions_applied_at is None
    BookingPeriod.objects.filter(pk=period.pk).update(allocation_published_at=now)
    apply_opened_periods(now)
    period.refresh_from_db()
    assert period.subscriptions_applied_at == now
