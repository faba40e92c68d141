"""The staff's second factor (security review, finding 4): no admin page opens for a staff
member or a superuser until he has a TOTP device and has given one of its codes in this
session; the first login leads to enrolment, then to the recovery codes, then to the admin.
Parents keep the second factor optional."""

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib import admin
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from familles import second_factor
from tests.helpers import totp_code, visible_text
from tests.scenarios.accounts import (
    PASSWORD,
    TOTP_SECRET,
    StaffFactory,
    UserFactory,
    password_login,
)
from tests.scenarios.families import GuardianFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/compte/login/"
CODE_URL = "/compte/2fa/authenticate/"  # the code asked at login
ENROL_URL = "/compte/2fa/totp/activate/"
VERIFY_URL = "/compte/2fa/reauthenticate/"
RECOVERY_CODES_URL = "/compte/2fa/recovery-codes/"
# allauth asks the password again before a device is added (a session left open elsewhere
# cannot enrol its own device).
CONFIRM_THEN_ENROL_URL = "/compte/reauthenticate/?next=%2Fcompte%2F2fa%2Ftotp%2Factivate%2F"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth refuses a TOTP code given twice: the used codes live in the cache.
    cache.clear()
    yield
    cache.clear()


def admin_urls() -> list[str]:
    """The admin's index, every application's index and every model's list."""
    models = [model for model in apps.get_models() if admin.site.is_registered(model)]
    labels = sorted({model._meta.app_label for model in models})
    return ["/gestion/", "/gestion/password_change/",
            *(reverse("admin:app_list", args=[label]) for label in labels),
            *(reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
              for m in models)]


def final_url(response) -> str:
    return response.redirect_chain[-1][0] if response.redirect_chain else ""


def enrol(client) -> list[str]:
    """From the admin, as a staff member without a device: confirm the password, add the
    device with its first code. Returns the recovery codes shown next."""
    to_enrol = client.get("/gestion/", follow=True)
    assert final_url(to_enrol) == CONFIRM_THEN_ENROL_URL
    assert client.post(CONFIRM_THEN_ENROL_URL, {"password": PASSWORD})["Location"] == ENROL_URL
    page = client.get(ENROL_URL)
    assert "compte de l’équipe" in visible_text(page)  # why the portal asks it
    enrolled = client.post(ENROL_URL, {"code": totp_code(page.context["form"].secret)})
    assert enrolled["Location"] == RECOVERY_CODES_URL
    return client.get(RECOVERY_CODES_URL).context["unused_codes"]


@pytest.mark.parametrize("superuser", [False, True], ids=["staff", "superuser"])
def test_staff_without_a_device_reach_no_admin_page_and_are_led_to_enrol(client, superuser):
    user = UserFactory(is_staff=True, is_superuser=superuser, second_factor=False)
    password_login(client, user.email, next_url="/gestion/")

    for url in admin_urls():
        response = client.get(url, follow=True)
        assert ENROL_URL in [url for url, _status in response.redirect_chain], url
        assert final_url(response) == CONFIRM_THEN_ENROL_URL, url


def test_a_password_only_session_of_staff_with_a_device_must_give_the_code(client, staff_user,
                                                                        frozen_clock):
    # Django's own login checks the password and nothing else: the session of an e-mail
    # confirmation or of any path that opened a session without allauth's code step.
    assert client.login(email=staff_user.email, password=PASSWORD)

    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert client.get(response["Location"])["Location"].startswith(VERIFY_URL), url
    ask = client.get("/gestion/familles/family/", follow=True)
    assert final_url(ask) == f"{VERIFY_URL}?next=%2Fgestion%2Ffamilles%2Ffamily%2F"
    assert "code" in visible_text(ask)

    done = client.post(f"{VERIFY_URL}?next=/gestion/familles/family/",
                       {"code": totp_code(TOTP_SECRET)})

    assert done["Location"] == "/gestion/familles/family/"
    assert client.get("/gestion/familles/family/").status_code == 200


# allauth announces a new device once its transaction commits, inside the request: this test
# runs in autocommit, as the server does, instead of inside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_first_login_enrols_shows_the_recovery_codes_then_opens_the_admin(client, frozen_clock):
    staff = StaffFactory(second_factor=False)
    password_login(client, staff.email, next_url="/gestion/")

    codes = enrol(client)

    codes_page = client.get(RECOVERY_CODES_URL)
    assert len(codes) == 10
    assert all(code in visible_text(codes_page) for code in codes)
    assert 'href="/gestion/"' in codes_page.content.decode()  # the way on to the admin
    assert client.get("/gestion/").status_code == 200


def test_a_recovery_code_opens_the_admin_once(frozen_clock):
    staff = StaffFactory(second_factor=False)
    enrolment = Client()
    password_login(enrolment, staff.email, next_url="/gestion/")
    code = enrol(enrolment)[0]

    lost_phone = Client()
    assert password_login(lost_phone, staff.email, next_url="/gestion/")["Location"] == CODE_URL
    assert lost_phone.post(CODE_URL, {"code": code})["Location"] == "/gestion/"
    assert lost_phone.get("/gestion/").status_code == 200

    again = Client()
    password_login(again, staff.email, next_url="/gestion/")
    refused = again.post(CODE_URL, {"code": code})
    assert refused.status_code == 200
    assert "Code incorrect." in visible_text(refused)
    assert final_url(again.get("/gestion/", follow=True)) == CODE_URL  # still asked


def test_a_parent_logs_in_without_any_second_factor(client):
    guardian = GuardianFactory()

    response = client.post(LOGIN_URL, {"login": guardian.user.email, "password": PASSWORD},
                           follow=True)

    assert response.status_code == 200
    assert all("/2fa/" not in url for url, _status in response.redirect_chain)
    assert "_auth_user_id" in client.session
    assert not Authenticator.objects.filter(user=guardian.user).exists()
    assert client.get("/").status_code == 200


def test_staff_cannot_turn_their_device_off(staff_client, staff_user):
    staff_client.post("/compte/reauthenticate/", {"password": PASSWORD})

    response = staff_client.post("/compte/2fa/totp/deactivate/")

    assert response.status_code == 200
    assert Authenticator.objects.filter(user=staff_user, type="totp").exists()
    assert staff_client.get("/gestion/").status_code == 200


def test_a_device_enrolled_again_after_a_reset_must_be_proven_by_every_session(
        staff_client, staff_user):
    assert staff_client.get("/gestion/").status_code == 200
    second_factor.reset_second_factor(staff_user.email, operator="test")
    second_factor.add_totp_device(staff_user, TOTP_SECRET)  # enrolled again, elsewhere

    response = staff_client.get("/gestion/", follow=True)

    assert final_url(response).startswith(VERIFY_URL)
