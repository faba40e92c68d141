"""Billing tests' fixture `priced`: a Wednesday leisure centre with the tariff `TARIFF`
(builders in tests/scenarios/billing.py)."""

import pytest

from inscriptions.models import Activity
from tests.scenarios.billing import priced_activity


@pytest.fixture
def priced(db) -> Activity:
    return priced_activity()
