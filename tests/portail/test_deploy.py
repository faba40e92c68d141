"""The production deployment: settings pass `check --deploy`, and the entry points that
docker-compose.yml starts (gunicorn's WSGI app, the Celery app) load under production settings
without a database. Each check runs in a subprocess with a clean production-like environment,
as the containers would; none needs PostgreSQL, Redis or Docker.
"""

import functools
import json
import re
import runpy
import secrets
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
IN_IMAGE = "/app/"  # where the Dockerfile puts the project
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    """What .env and docker-compose.yml give the containers. Hosts like `postgres` do not
    resolve here: any attempt to reach the database at import time would fail loudly."""
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    static_root = tmp_path_factory.mktemp("staticfiles")
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path_factory.mktemp("home")),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "portail.settings.production",
        "DJANGO_SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(60)),
        "PORTAIL_FIELD_KEY": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "portail.kerbrume.fr",
        "DATABASE_URL": "postgres://portail:s3cret-password@postgres:5432/portail",
        "REDIS_URL": "redis://redis:6379/0",
        "CACHE_URL": "redis://redis:6379/1",
        "PORTAIL_PRIVATE_MEDIA_ROOT": str(tmp_path_factory.mktemp("private")),
        # collectstatic fills it in the image; whitenoise warns when it is missing.
        "DJANGO_STATIC_ROOT": str(static_root),
    }


def run(args, env, timeout=60):
    return subprocess.run(
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_check_deploy_reports_no_warning(production_env):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout, output
    assert "WARNING" not in output and "Warning" not in output, output


def test_wsgi_application_imports_without_touching_the_database(production_env):
    code = (
        "import portail.wsgi\n"
        "from django.db import connections\n"
        "assert callable(portail.wsgi.application)\n"
        "assert connections['default'].connection is None, 'a connection was opened at import'\n"
        "print(connections['default'].vendor)\n"
    )
    result = run([sys.executable, "-c", code], production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "postgresql"
    assert "Warning" not in result.stderr, result.stderr


def test_celery_app_loads_and_knows_every_scheduled_task(production_env):
    # find_app is what `celery -A portail` calls; import_default_modules runs autodiscovery.
    code = (
        "import json\n"
        "from celery.app.utils import find_app\n"
        "app = find_app('portail')\n"
        "app.loader.import_default_modules()\n"
        "schedule = app.conf.beat_schedule\n"
        "print(json.dumps({'main': app.main, 'broker': app.conf.broker_url,\n"
        "    'scheduled': sorted(e['task'] for e in schedule.values()),\n"
        "    'registered': sorted(t for t in app.tasks if not t.startswith('celery.'))}))\n"
    )
    result = run([sys.executable, "-c", code], production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["main"] == "portail"
    assert info["broker"] == production_env["REDIS_URL"]
    assert "ground.tasks.requeue_unsent_messages" in info["scheduled"]
    missing = set(info["scheduled"]) - set(info["registered"])
    assert not missing, f"beat schedules tasks no module defines: {sorted(missing)}"


# --- docker-compose.yml -----------------------------------------------------------------


@functools.cache
def _load_compose():
    """The compose file as data. PyYAML is not a project dependency: use it if this Python
    has it, else a system Python that does (Debian's python3-yaml); else None."""
    try:
        import yaml
    except ImportError:
        pass
    else:
        return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    code = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)"
    for python in ("/usr/bin/python3", shutil.which("python3")):
        if python and Path(python).exists():
            result = subprocess.run([python, "-c", code, str(COMPOSE_FILE)],
                                    capture_output=True, text=True, timeout=30, check=False)
            if result.returncode == 0:
                return json.loads(result.stdout)
    return None


@pytest.fixture
def compose():
    data = _load_compose()
    if data is None:
        pytest.skip("no YAML parser here (pip install pyyaml, or apt-get install python3-yaml)")
    return data


def _command(service: dict) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def test_compose_names_the_entry_points_tested_here():
    # Plain text, so that it holds even where no YAML parser is installed.
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert "portail.wsgi:application" in text
    assert re.search(r'"-A",\s*"portail"', text) or "-A portail" in text


def test_compose_services_health_checks_and_volumes(compose):
    services = compose["services"]
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in str(services["redis"]["healthcheck"]["test"])
    assert "/app/docker/healthcheck.py" in str(services["web"]["healthcheck"]["test"])
    assert (BASE_DIR / "docker" / "healthcheck.py").exists()

    assert any(v.startswith("postgres-data:") for v in services["postgres"]["volumes"])
    documents = {
        name: [v for v in services[name]["volumes"] if v.startswith("private-media:")]
        for name in ("web", "worker")
    }
    assert documents["web"] and documents["web"] == documents["worker"]
    mount = documents["web"][0].split(":")[1]
    for name in APP_SERVICES:
        service = services[name]
        assert service["env_file"] in (".env", [".env"])
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "portail.settings.production"
        assert service["environment"]["PORTAIL_PRIVATE_MEDIA_ROOT"] == mount
    assert {"postgres-data", "private-media"} <= set(compose["volumes"])

    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert _command(services["migrate"])[-2:] == ["migrate", "--noinput"]


def test_compose_commands_are_the_tested_entry_points(compose):
    services = compose["services"]
    web = _command(services["web"])
    assert web[:2] == ["gunicorn", "portail.wsgi:application"]
    for name, role in (("worker", "worker"), ("beat", "beat")):
        assert _command(services[name])[:4] == ["celery", "-A", "portail", role]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_gunicorn_loads_the_web_command_of_compose(compose, production_env):
    """`gunicorn --check-config` with compose's own arguments: the config file is valid and
    the WSGI app imports; the config asks for threaded workers on port 8000."""
    args = [
        str(BASE_DIR / arg[len(IN_IMAGE):]) if arg.startswith(IN_IMAGE) else arg
        for arg in _command(compose["services"]["web"])[1:]
    ]
    result = run([sys.executable, "-m", "gunicorn", "--check-config", *args], production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert args[1:2] in (["--config"], ["-c"]) and len(args) == 3, args
    config = runpy.run_path(args[2])
    # gthread, each worker on its own socket (tests/portail/test_connection_balance.py)
    assert config["worker_class"] == "gthread" and config["reuse_port"] is True
    assert config["bind"] == "0.0.0.0:8000"
    assert config["workers"] >= 2 and config["threads"] >= 2


# --- what the deployment documents ------------------------------------------------------

ENV_CALL = re.compile(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"')


def _settings_variables() -> set[str]:
    names = set()
    for module in (BASE_DIR / "portail" / "settings").glob("*.py"):
        names |= set(ENV_CALL.findall(module.read_text(encoding="utf-8")))
    return names


def test_every_environment_variable_is_documented():
    names = _settings_variables()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names
    env_example = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", env_example, re.MULTILINE))
    assert not names - listed, f"add to .env.example: {sorted(names - listed)}"
    in_readme = {name for name in names if f"`{name}`" in readme}
    assert not names - in_readme, f"add to README.md's table: {sorted(names - in_readme)}"


def test_dockerfile_builds_what_compose_runs():
    dockerfile = (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "npm ci" in dockerfile and "requirements.lock" in dockerfile
    assert "collectstatic" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and not users[-1].startswith(("root", "0"))
    assert "DJANGO_SETTINGS_MODULE=portail.settings.production" in dockerfile
    assert "gunicorn.conf.py" in dockerfile and (BASE_DIR / "docker" / "gunicorn.conf.py").exists()
    ignored = (BASE_DIR / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "node_modules", ".git"} <= {line.strip("/") for line in ignored}


def test_production_never_shows_the_debug_pages(production_env):
    """Django's debug 404 lists every URL of the portal and its 500 the settings: production
    has DEBUG off even when the environment asks for it (issue 23, item 10)."""
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = run([sys.executable, "-c", "import django; django.setup(); " + code],
                 {**production_env, "DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
