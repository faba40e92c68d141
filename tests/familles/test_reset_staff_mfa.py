"""Break-glass for a staff member who lost his phone: `manage.py reset_staff_mfa <email>`
removes the account's second factor, says and logs it, and the next login enrols again. It
refuses an unknown address and a parent's account, in French."""

import io
import logging

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command

from familles.second_factor import add_totp_device
from tests.scenarios.accounts import PASSWORD, TOTP_SECRET, UserFactory
from tests.scenarios.families import GuardianFactory

pytestmark = pytest.mark.django_db


def reset(email) -> str:
    out = io.StringIO()
    call_command("reset_staff_mfa", email, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("superuser", [False, True], ids=["staff", "superuser"])
def test_a_lost_device_is_removed_and_the_next_login_enrols_again(client, caplog, superuser):
    staff = UserFactory(is_staff=True, is_superuser=superuser, email="agent@mairie.example")
    assert Authenticator.objects.filter(user=staff).exists()

    with caplog.at_level(logging.WARNING, logger="familles.second_factor"):
        output = reset("Agent@Mairie.example")

    assert not Authenticator.objects.filter(user=staff).exists()
    assert "agent@mairie.example" in output and "réinitialisée" in output
    [record] = [r for r in caplog.records if r.name == "familles.second_factor"]
    assert "agent@mairie.example" in record.getMessage()
    client.post("/compte/login/", {"login": staff.email, "password": PASSWORD})
    response = client.get("/gestion/", follow=True)
    assert "/compte/2fa/totp/activate/" in [url for url, _status in response.redirect_chain]


def test_a_parents_account_is_refused_and_left_as_it_is():
    parent = GuardianFactory().user
    add_totp_device(parent, TOTP_SECRET)  # a parent who chose a second factor

    with pytest.raises(CommandError) as refused:
        reset(parent.email)

    assert "n’est pas un compte de l’équipe" in str(refused.value)
    assert Authenticator.objects.filter(user=parent).exists()


def test_an_unknown_address_is_refused():
    with pytest.raises(CommandError) as refused:
        reset("personne@mairie.example")

    assert str(refused.value) == "Aucun compte n’a l’adresse «\u00a0personne@mairie.example\u00a0»."
