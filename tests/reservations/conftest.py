"""Reservation tests' fixtures (their builders are in tests/scenarios/reservations.py):
`activity` (a bookable Wednesday leisure centre), `slot` (its first Wednesday of October,
10 places) and `booker` (the `guardian` fixture's family, one ready child)."""

import pytest

from tests.scenarios.reservations import SlotFactory, bookable_activity, ready_child


@pytest.fixture
def activity(db):
    return bookable_activity()


@pytest.fixture
def slot(activity):
    return SlotFactory(activity=activity, capacity=10)


@pytest.fixture
def booker(activity, guardian):
    return ready_child(activity, guardian)
