"""What the bench's tests share: a child ready to book a period."""

import datetime

import pytest


@pytest.fixture
def ready(db, guardian):
    """The guardian's child, ready to book two Wednesdays of a period open now."""
    from tests.scenarios.reservations import SlotFactory, bookable_activity, ready_child

    activity = bookable_activity()
    first = SlotFactory(activity=activity)
    SlotFactory(activity=activity, date=first.date + datetime.timedelta(days=7))
    return ready_child(activity, guardian), first.date
