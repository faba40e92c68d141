"""Shared fixtures. Tests that need PostgreSQL, Redis or Chromium carry a marker; without the
service they skip, unless PORTAIL_REQUIRE_SERVICES=1 (CI), where they fail."""

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ground import outbox
from ground.commune import commune
from ground.commune import forget as forget_commune
from tests.helpers import force_login_with_second_factor
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.families import FamilyFactory, GuardianFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"

pytest_plugins = ["tests.worker_fixture"]


def _missing(reason: str):
    if settings.PORTAIL_REQUIRE_SERVICES:
        pytest.fail(f"{reason} (PORTAIL_REQUIRE_SERVICES=1: this test must run)")
    pytest.skip(reason)


def _redis_available() -> bool:
    import redis

    try:
        return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def _required_services(request):
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _missing("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not _redis_available():
        _missing(f"needs Redis at {settings.REDIS_URL}")
    if request.node.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        _missing(f"needs Debian's Chromium at {CHROMIUM}")


@pytest.fixture(autouse=True)
def _no_drain_queued():
    """The outbox's "drain queued" flag lives in the cache, which outlives a test: a test
    that queued a drain nobody ran (a worker down) must not silence the next one's."""
    cache.delete(outbox.DRAIN_QUEUED)


@pytest.fixture(autouse=True)
def _commune_from_the_database(request):
    """The commune's settings are cached; a test's edits are rolled back with its
    transaction, not in the cache: each test starts from the row in the database, read
    beforehand when the test uses the database, as a running portal has it in its cache
    (a test counting a page's queries counts the page's own)."""
    forget_commune()
    if request.node.get_closest_marker("django_db") is not None:
        commune()  # pytest-django's own autouse fixture has opened the database by now
    yield
    forget_commune()


@pytest.fixture(autouse=True)
def _force_login_passes_second_factor(monkeypatch):
    """Staff need a second factor before any admin page (familles/second_factor.py). A test
    that calls `force_login` does not care how the user logged in: for a staff member with a
    TOTP device, the session is marked as after the code, in this one place, instead of in
    every staff test. The gate's own tests log in with the password only (`client.login`, the
    login form) and show that this is not enough."""
    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)


@pytest.fixture
def frozen_clock(time_machine):
    """A TOTP code lasts 30 s: stop the clock so that the code computed is the one checked."""
    time_machine.move_to(timezone.now(), tick=False)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"],
    }


@pytest.fixture(scope="session")
def base_url():
    """Instead of pytest-playwright's fallback, an instance method that pytest 9 deprecates
    (a warning in every run): the journeys give the live server's address themselves."""
    return None


@pytest.fixture(scope="session")
def playwright(playwright):
    """pytest-playwright's, closing the database connections opened while it ran.

    Playwright's sync API leaves an event loop running in the test thread from the first
    browser test to the end of the session. Django keeps its connections in an asgiref
    `Local`, which then stores them per context instead of per thread: every test after the
    first browser test works on connections the sync thread never sees again. Once Playwright
    stops, pytest-django closes the thread's own connection and drops the test database, and
    a connection still open in the other storage made that drop fail ("being accessed by
    other users") whenever the garbage collector had not yet freed it. They are closed here,
    while that storage is still the one in use."""
    yield playwright
    from django.db import connections

    connections.close_all()


@pytest.fixture
def guardian(db):
    return GuardianFactory()


@pytest.fixture
def family(guardian):
    return guardian.family


@pytest.fixture
def parent_client(client, guardian):
    client.force_login(guardian.user)
    return client


@pytest.fixture
def other_guardian(db):
    return GuardianFactory(family=FamilyFactory(name="Famille Autre"))


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
