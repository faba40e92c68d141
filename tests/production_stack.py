"""The production web stack for a test, through real HTTP: what docker-compose.yml gives the
app containers, the settings portail.settings.production computes from it, gunicorn started
as compose starts it (docker/gunicorn.conf.py, its workers sharing Redis as their cache), and a
browser that reaches it through the reverse proxy.

Used by tests/portail/test_login_limits_behind_proxy.py."""

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

from cryptography.fernet import Fernet

from tests.helpers import free_port
from tests.worker_fixture import database_url

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
# `NAME: ${NAME:-default}` in docker-compose.yml: compose's value unless .env sets another.
COMPOSE_DEFAULT = re.compile(r'^\s+([A-Z][A-Z0-9_]*):\s*"?\$\{\1:-([^}]*)\}"?\s*$', re.MULTILINE)
HOST = "127.0.0.1"
# The address a reverse proxy on the host has, seen from the web container (docker's bridge).
PROXY_ADDRESS = "172.18.0.1"
# Production settings with two changes, both for the test's own server only: passwords are
# hashed with MD5 (the users are created by the test process, which hashes so; a real check
# costs 0.7 s of CPU), and static files need no collectstatic (no manifest).
SETTINGS_MODULE = "tests.production_settings"


def compose_defaults() -> dict[str, str]:
    """The variables docker-compose.yml gives the app containers with a default of its own,
    at that default: what a commune runs with unless its .env says otherwise."""
    return dict(COMPOSE_DEFAULT.findall(COMPOSE_FILE.read_text(encoding="utf-8")))


def production_environment(*, redis_url: str, private_root: Path) -> dict[str, str]:
    """What production.py requires and what compose adds, on the test database and the
    given Redis; nothing inherited from the test process's own environment."""
    static_root = private_root / "static"  # empty: whitenoise only warns when it is missing
    static_root.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(private_root),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "portail.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAIL_FIELD_KEY": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CACHE_URL": redis_url,
        "PORTAIL_PRIVATE_MEDIA_ROOT": str(private_root),
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_LOG_LEVEL": "WARNING",
        **compose_defaults(),
    }


def production_settings(env: dict[str, str], *names: str) -> dict:
    """These settings as portail.settings.production computes them in a process of its own
    (a missing one is None)."""
    code = ("import json, sys\nfrom django.conf import settings\n"
            "print(json.dumps({n: getattr(settings, n, None) for n in sys.argv[1:]}))")
    result = subprocess.run([sys.executable, "-c", code, *names], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path):
    """`gunicorn portail.wsgi:application -c docker/gunicorn.conf.py`, as compose's web
    service runs it; yields its port once /sante/ answers."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portail.wsgi:application",
             "--config", str(BASE_DIR / "docker" / "gunicorn.conf.py"),
             "--graceful-timeout", "1"],
            cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**env, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
                 "GUNICORN_BIND": f"{HOST}:{port}", "GUNICORN_LOG_LEVEL": "warning"})
    try:
        deadline = time.monotonic() + 60
        while Browser(port, "192.0.2.1").get("/sante/")[0] != 200:
            assert process.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)
        yield port
    finally:
        # gunicorn's graceful stop, told to the master only: it asks its workers to finish
        # and kills whichever has not after the short graceful timeout given above (they
        # closed their connections' pools for seconds otherwise).
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Browser:
    """One person's browser, reaching gunicorn through the TLS-terminating reverse proxy.

    The proxy says the request was HTTPS and appends the address it saw to X-Forwarded-For,
    as nginx's `$proxy_add_x_forwarded_for`, Caddy and Traefik do: a header the client sent
    itself (`forged`) stays in front of it. Cookies are kept whatever their Secure flag: the
    browser sent them over HTTPS, the proxy passes them on."""

    def __init__(self, port: int, address: str, *, forged: str = ""):
        self.port = port
        self.forwarded_for = f"{forged}, {address}" if forged else address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        origin = f"https://{HOST}:{self.port}"
        headers = {"Host": f"{HOST}:{self.port}", "X-Forwarded-Proto": "https",
                   "X-Forwarded-For": self.forwarded_for, "Origin": origin,
                   "Referer": origin + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        except OSError:
            return 0, {}, ""
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, text

    def get(self, path: str):
        return self.request("GET", path)

    def login(self, email: str, password: str):
        """The login page, then its form posted: (status, Location, page)."""
        self.get("/compte/login/")
        status, headers, text = self.request("POST", "/compte/login/", {
            "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), "login": email,
            "password": password})
        return status, headers.get("Location", ""), text
