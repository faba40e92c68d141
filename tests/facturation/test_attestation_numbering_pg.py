"""Attestation numbers on PostgreSQL, with real threads on their own connections: households
asking at the same instant get consecutive numbers, no gap, no duplicate (the per-kind
sequence row is locked until each issuing commit)."""

import datetime

import pytest
from django.db import transaction

from facturation.models import Attestation
from facturation.services.attestations import request_attestation
from tests.helpers import together
from tests.scenarios.attestations import YEAR, catalogue, issued, paid, paris
from tests.scenarios.families import ChildFactory, FamilyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FAMILIES = 6


def test_households_asking_at_once_get_gap_free_unique_numbers():
    with transaction.atomic():
        cat = catalogue()
        families = [FamilyFactory() for _n in range(FAMILIES)]
        for family in families:
            child = ChildFactory(family=family, birth_date=datetime.date(2021, 1, 1))
            paid(issued(family, [(child, cat.morning, 10, 200)], 2),
                 2000, datetime.date(YEAR, 3, 1))
    now = paris(datetime.date(YEAR + 1, 2, 1))

    errors = together(lambda family: request_attestation(
        family, Attestation.Kind.FISCAL, user=None, year=YEAR, now=now), families)

    assert errors == [None] * FAMILIES
    numbers = sorted(Attestation.objects.values_list("number", flat=True))
    assert numbers == [f"AF-{YEAR + 1}-{n:06d}" for n in range(1, FAMILIES + 1)]
