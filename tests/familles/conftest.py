import pytest
from django.test import Client

from tests.scenarios.families import ChildFactory, ContactFactory, GuardianFactory


@pytest.fixture
def child(family):
    return ChildFactory(family=family, first_name="Lou", last_name="Martin")


@pytest.fixture
def other_family(other_guardian):
    return other_guardian.family


@pytest.fixture
def other_child(other_family):
    return ChildFactory(family=other_family, first_name="Noé", last_name="Autre")


@pytest.fixture
def other_contact(other_family, other_child):
    return ContactFactory(family=other_family, first_name="Mamie", last_name="Autre",
                          relation="grand-mère", children=[other_child])


@pytest.fixture
def second_guardian(family):
    return GuardianFactory(family=family, first_name="Alex", relation="father")


@pytest.fixture
def client_factory(db):
    """A fresh browser for a second person (``client`` is taken by the parent)."""
    return Client
