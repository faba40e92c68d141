"""Security review, finding 2: login, sign-up and reset limits behind the reverse proxy.

Behind the documented proxy every request reaches gunicorn from the proxy's address. The
limits must count each parent's own address (X-Forwarded-For, as far as the declared proxies
vouch for it, never further) and each account: one guesser is stopped without locking the
commune out, a botnet is stopped on one account, and a crowd of parents logs in.

The first tests run in-process with the limits and the proxy declaration that
portail.settings.production computes from docker-compose.yml's environment; the last one
starts gunicorn under production settings and goes through real HTTP."""

import bisect
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ground.models import OutboxMessage
from tests.helpers import page_text
from tests.production_stack import (
    PROXY_ADDRESS,
    Browser,
    compose_defaults,
    gunicorn,
    production_environment,
    production_settings,
)
from tests.scenarios.accounts import PASSWORD
from tests.scenarios.accounts import password_login as login  # the login form, posted
from tests.scenarios.families import GuardianFactory

SIGNUP_URL = "/compte/signup/"
RESET_URL = "/compte/password/reset/"
WRONG = "pas-le-bon-mot-de-passe"
LOCKED = "Trop de tentatives de connexion échouées"
NEW_PASSWORD = "Un-nouveau-mot-de-passe-2026"


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The limits and proxy declaration production runs with, as docker-compose.yml sets it."""
    env = production_environment(redis_url=django_settings.REDIS_URL,
                                 private_root=tmp_path_factory.mktemp("private"))
    return production_settings(env, "ACCOUNT_RATE_LIMITS", "ALLAUTH_TRUSTED_PROXY_COUNT")


@pytest.fixture
def limits(settings, production):
    settings.ACCOUNT_RATE_LIMITS = production["ACCOUNT_RATE_LIMITS"]
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = production["ALLAUTH_TRUSTED_PROXY_COUNT"] or 0
    cache.clear()
    yield settings
    cache.clear()


def rate(limits: dict, action: str, per: str, seconds: int) -> int:
    """How many `action`s `limits` (ACCOUNT_RATE_LIMITS) allow per `per` over `seconds`."""
    for rule in limits[action].split(","):
        amount, duration, rule_per = rule.strip().split("/")
        number, unit = re.fullmatch(r"(\d*)([smhd])", duration).groups()
        if rule_per == per and int(number or 1) * {"s": 1, "m": 60, "h": 3600,
                                                    "d": 86400}[unit] == seconds:
            return int(amount)
    raise AssertionError(f"no {action} limit per {per} over {seconds} s")


def behind_proxy(address: str, *, forged: str = "") -> Client:
    """A browser at `address`, through the proxy (which appends what it saw)."""
    return Client(REMOTE_ADDR=PROXY_ADDRESS,
                  HTTP_X_FORWARDED_FOR=f"{forged}, {address}" if forged else address)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def refused(response) -> bool:
    return response.status_code == 429 or LOCKED in page_text(response)


def checked_and_wrong(response) -> bool:
    """The password was checked, and was wrong."""
    return response.status_code == 200 and "incorrects" in page_text(response)


# --- one guesser, one address ------------------------------------------------------------------


@pytest.mark.django_db
def test_failed_logins_of_one_parent_behind_the_proxy_do_not_stop_another(limits):
    allowed = rate(limits.ACCOUNT_RATE_LIMITS, "login_failed", "ip", 60)
    victims = [GuardianFactory().user for _n in range(allowed + 1)]
    guesser = behind_proxy("203.0.113.7")
    for user in victims[:allowed]:
        assert checked_and_wrong(login(guesser, user.email, WRONG))
    # The guesser's address is stopped, even with a right password...
    assert refused(login(guesser, victims[-1].email))

    # ...and another parent behind the same proxy logs in.
    assert logged_in(login(behind_proxy("198.51.100.20"), victims[-1].email))


@pytest.mark.django_db
@pytest.mark.parametrize("declared", [0, 1])
def test_a_forwarded_for_the_client_forges_does_not_change_its_address(limits, declared):
    """No proxy declared: the header is ignored. One declared: only the hop it appended
    counts, not one more."""
    limits.ALLAUTH_TRUSTED_PROXY_COUNT = declared
    allowed = rate(limits.ACCOUNT_RATE_LIMITS, "login_failed", "ip", 60)
    users = [GuardianFactory().user for _n in range(allowed + 1)]

    def guesser(n):
        forged = f"198.51.100.{n}"
        if declared:
            return behind_proxy("203.0.113.7", forged=forged)
        return Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=forged)

    for n, user in enumerate(users[:allowed]):
        assert checked_and_wrong(login(guesser(n), user.email, WRONG))
    assert refused(login(guesser(allowed), users[-1].email))


# --- many addresses, one account ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_distributed_guesser_is_stopped_on_one_account_and_the_others_log_in(limits):
    per_account = rate(limits.ACCOUNT_RATE_LIMITS, "login_failed", "key", 300)
    target, other = GuardianFactory().user, GuardianFactory().user
    botnet = [behind_proxy(f"203.0.113.{n}") for n in range(1, per_account + 2)]
    for bot in botnet[:per_account]:
        assert checked_and_wrong(login(bot, target.email, WRONG))

    # A new address, even with the right password, is refused on that account...
    assert refused(login(botnet[-1], target.email))
    # ...while any other account logs in, from a bot's address too.
    assert logged_in(login(botnet[0], other.email))


@pytest.mark.django_db
def test_a_distributed_guesser_gets_a_few_tries_a_day_on_one_account(limits, time_machine):
    """Tries every five minutes from new addresses: the password is checked at most the
    daily allowance per account, then not again until a day after the first try."""
    daily = rate(limits.ACCOUNT_RATE_LIMITS, "login_failed", "key", 86400)
    per_burst = rate(limits.ACCOUNT_RATE_LIMITS, "login_failed", "key", 300)
    target = GuardianFactory().user
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    checked, burst = 0, 0
    while True:
        results = [login(behind_proxy(f"10.{burst}.0.{n}"), target.email, WRONG)
                   for n in range(per_burst)]
        assert all(checked_and_wrong(r) or refused(r) for r in results)
        if not any(checked_and_wrong(r) for r in results):
            break
        checked += sum(checked_and_wrong(r) for r in results)
        burst += 1
        time_machine.move_to(start + timedelta(seconds=301 * burst), tick=False)
    assert checked == daily
    assert 301 * burst < 86400

    time_machine.move_to(start + timedelta(days=1, seconds=1), tick=False)
    assert checked_and_wrong(login(behind_proxy("10.200.0.1"), target.email, WRONG))


@pytest.mark.django_db
def test_the_parent_locked_out_by_a_guesser_gets_back_in_by_resetting_the_password(
        limits, django_capture_on_commit_callbacks):
    per_account = rate(limits.ACCOUNT_RATE_LIMITS, "login_failed", "key", 300)
    target = GuardianFactory().user
    for n in range(per_account):
        login(behind_proxy(f"203.0.113.{n}"), target.email, WRONG)
    parent = behind_proxy("198.51.100.20")
    assert refused(login(parent, target.email))

    with django_capture_on_commit_callbacks(execute=True):
        assert parent.post(RESET_URL, {"email": target.email}).status_code == 302
    [link] = re.findall(r"https?://testserver(/\S+)", mail.outbox[-1].body)
    # The link leads to the form (allauth moves the key out of the address first).
    set_password = parent.get(link, follow=True).redirect_chain[-1][0]
    response = parent.post(set_password, {"password1": NEW_PASSWORD,
                                          "password2": NEW_PASSWORD})
    assert response.status_code == 302

    assert logged_in(login(behind_proxy("198.51.100.20"), target.email, NEW_PASSWORD))


# --- sign-up and reset: the same, per parent's address and per e-mail address ------------------


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["signup", "reset_password"])
def test_sign_ups_and_resets_count_each_parent_behind_the_proxy(limits, action):
    allowed = rate(limits.ACCOUNT_RATE_LIMITS, action, "ip", 60)
    users = [GuardianFactory().user for _n in range(allowed + 1)]

    def attempt(client, n):
        if action == "signup":
            return client.post(SIGNUP_URL, {"email": f"nouveau{n}@example.org",
                                            "password1": NEW_PASSWORD,
                                            "password2": NEW_PASSWORD})
        return client.post(RESET_URL, {"email": users[n].email})

    storm = behind_proxy("203.0.113.7")
    for n in range(allowed):
        assert attempt(storm, n).status_code == 302
    assert attempt(storm, allowed).status_code == 429

    assert attempt(behind_proxy("198.51.100.20"), allowed).status_code == 302


@pytest.mark.django_db
def test_sign_ups_of_one_email_address_from_many_addresses_send_one_email(
        limits, django_capture_on_commit_callbacks):
    """The per-e-mail limit of sign-up: what it sends (a verification, or « you already have
    an account »). A flood of sign-ups cannot flood a mailbox."""
    assert rate(limits.ACCOUNT_RATE_LIMITS, "confirm_email", "key", 180) == 1
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = behind_proxy(f"203.0.113.{n}").post(SIGNUP_URL, {
                "email": "cible@example.org", "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD})
        assert response.status_code == 302
    assert sum("cible@example.org" in m.to for m in OutboxMessage.objects.all()) == 1


# --- through real HTTP, production settings --------------------------------------------------


def test_compose_declares_one_proxy_in_front_of_gunicorn():
    assert compose_defaults().get("PORTAIL_TRUSTED_PROXIES") == "1"


@pytest.fixture
def stack(transactional_db, settings, tmp_path):
    """gunicorn under production settings, on the test database and this run's Redis db."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)

    def forget_counters():  # production's cache keys have no prefix; tests' always do
        for key in client.scan_iter(":1:allauth:rl:*"):
            client.delete(key)

    forget_counters()
    env = production_environment(redis_url=settings.REDIS_URL,
                                 private_root=tmp_path / "private")
    try:
        with gunicorn(env, tmp_path / "gunicorn.log") as port:
            yield port
    finally:
        forget_counters()
        client.close()


@pytest.mark.postgres
@pytest.mark.redis
def test_a_hundred_parents_behind_the_proxy_log_in_while_a_guesser_is_stopped(stack,
                                                                              production):
    port = stack
    limits = production["ACCOUNT_RATE_LIMITS"]
    parents = [GuardianFactory().user for _n in range(100)]
    target = GuardianFactory().user

    # One guesser hammers one account, then a botnet takes over.
    guesser = Browser(port, "203.0.113.66")
    answers = [guesser.login(target.email, WRONG) for _n in range(12)]
    per_account = rate(limits, "login_failed", "key", 300)
    assert all(s == 200 and "incorrects" in page for s, _l, page in answers[:per_account])
    assert all(LOCKED in page for _s, _l, page in answers[per_account:])
    for n in range(3):
        status, _, page = Browser(port, f"198.51.100.{n}").login(target.email, WRONG)
        assert status == 200 and LOCKED in page

    # Meanwhile the parents, each at home, log in and open the calendar.
    calendar = reverse("reservations:calendar")
    logged_at = []

    def parent_logs_in(n):
        browser = Browser(port, f"10.1.{n // 200}.{n % 200 + 1}")
        status, location, page = browser.login(parents[n].email, PASSWORD)
        if (status, location) != (302, "/"):
            return f"parent {n}: {status}{' « trop de tentatives »' if LOCKED in page else ''}"
        logged_at.append(time.monotonic())
        status, _, _ = browser.get(calendar)
        return None if status == 200 else f"parent {n}: calendar {status}"

    with ThreadPoolExecutor(max_workers=10) as pool:
        failures = [f for f in pool.map(parent_logs_in, range(len(parents))) if f]
    assert not failures, failures
    # More logins within one minute than one address may make: the proxy's own address
    # would have met the limit.
    logged_at.sort()
    busiest_minute = max(bisect.bisect_right(logged_at, t + 60) - i
                         for i, t in enumerate(logged_at))
    assert busiest_minute > rate(limits, "login", "ip", 60)
