"""The staff's TOTP keys are sealed at rest (familles.adapters.MFAAdapter): neither a copy of
the database nor the admin's authenticator pages give what an authenticator app holds, which
would let anyone who reads them compute an agent's codes."""

import importlib

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps as django_apps
from django.core import serializers
from django.test import Client

from ground import sealing
from tests.helpers import page_text, totp_code
from tests.scenarios.accounts import PASSWORD, TOTP_SECRET, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/gestion/mfa/authenticator/"


def authenticators_dump() -> str:
    return serializers.serialize("json", Authenticator.objects.all())


def test_an_agents_totp_key_is_neither_stored_nor_shown_and_still_opens_the_admin(frozen_clock):
    agent = StaffFactory()
    device = Authenticator.objects.get(user=agent)
    assert TOTP_SECRET not in authenticators_dump()

    superuser = Client()
    superuser.force_login(UserFactory(is_staff=True, is_superuser=True))
    pages = [superuser.get(ADMIN), superuser.get(f"{ADMIN}{device.pk}/change/")]
    assert [page.status_code for page in pages] == [200, 200]
    for page in pages:
        assert agent.email in page_text(page)
        assert TOTP_SECRET not in page_text(page)
        assert device.data["secret"] not in page_text(page)  # not even sealed

    # The agent's authenticator app still gives the codes the portal accepts.
    client = Client()
    login = client.post("/compte/login/?next=/gestion/", {"login": agent.email,
                                                          "password": PASSWORD})
    assert login["Location"] == "/compte/2fa/authenticate/"
    assert client.post("/compte/2fa/authenticate/",
                       {"code": totp_code(TOTP_SECRET)})["Location"] == "/gestion/"
    assert client.get("/gestion/").status_code == 200


def test_the_migration_seals_the_keys_written_in_clear_once():
    migration = importlib.import_module("familles.migrations.0005_seal_authenticator_secrets")
    agent = UserFactory(is_staff=True, second_factor=False)
    totp = Authenticator.objects.create(user=agent, type=Authenticator.Type.TOTP,
                                        data={"secret": TOTP_SECRET})
    codes = Authenticator.objects.create(user=agent, type=Authenticator.Type.RECOVERY_CODES,
                                         data={"seed": "0123abcd" * 5, "used_mask": 3})

    migration.seal_secrets(django_apps, None)
    totp.refresh_from_db()
    codes.refresh_from_db()
    sealed_once = (totp.data, codes.data)
    migration.seal_secrets(django_apps, None)  # a second run leaves sealed values alone
    totp.refresh_from_db()
    codes.refresh_from_db()

    assert (totp.data, codes.data) == sealed_once
    assert TOTP_SECRET not in authenticators_dump()
    assert sealing.unseal_text(totp.data["secret"], sealing.SECOND_FACTOR) == TOTP_SECRET
    assert sealing.unseal_text(codes.data["seed"], sealing.SECOND_FACTOR) == "0123abcd" * 5
    assert codes.data["used_mask"] == 3
