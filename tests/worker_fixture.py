"""A real Celery worker for tests: `celery -A portail worker`, the entry point production runs,
started as a subprocess on the test database (PostgreSQL: both processes see each other's
commits). It writes e-mails to files (Django's file-based backend), which is how the test
sees what it sent. Each test process uses its own queue, so that `pytest -n 2` never lets one
process's worker take the other's tasks.

Registered as a plugin by tests/conftest.py; use the `worker` fixture and `celery_conf`.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import override_settings

from ground import outbox
from ground.models import OutboxMessage
from portail.celery import app as celery_app
from portail.settings.test import shared_cache

BASE_DIR = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).parent / "celery"  # the virtualenv's, e.g. .venv/bin/celery
UNREACHABLE_BROKER = "redis://127.0.0.1:6390/0"  # nothing listens there
DELIVERY_TIMEOUT = 20.0
WORKER_START_TIMEOUT = 30.0


def _queue_name() -> str:
    return f"portail-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"


def _reset_producer() -> None:
    """Forget the broker pool and routing Celery cached for the old configuration.

    The pools stay open in kombu's registry (keyed by broker URL), ready for the next use."""
    celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)


@contextmanager
def celery_conf(**values):
    conf = celery_app.conf
    saved = {key: conf[key] for key in values}
    conf.update(values)
    _reset_producer()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_producer()


def database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    def __init__(self, process, mail_dir: Path, log_path: Path, redis_client, queue: str):
        self.process = process
        self.mail_dir = mail_dir
        self.log_path = log_path
        self.redis = redis_client
        self.queue = queue

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sent(self) -> list[EmailMessage]:
        """Every e-mail the worker wrote (a file may hold several, separated by dashes)."""
        emails = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    emails.append(message_from_bytes(chunk, policy=email_policy))
        return emails

    def copies_of(self, message: OutboxMessage) -> list[EmailMessage]:
        header = f"<outbox-{message.pk}@portail-famille>"
        return [email for email in self.sent() if email["Message-ID"] == header]

    def _nothing_queued(self) -> bool:
        if self.redis.llen(self.queue):
            return False
        return not any(self.queue.encode() in value for value in self.redis.hvals("unacked"))

    def idle(self) -> bool:
        """Nothing waits in our queue and nothing is being worked on (acks_late keeps a
        running task in kombu's "unacked" hash); checked twice to step over a hand-over."""
        if not self._nothing_queued():
            return False
        time.sleep(0.3)
        return self._nothing_queued()

    def wait_for(self, condition, timeout=DELIVERY_TIMEOUT, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker died:\n{self.log()}")
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n"
                    f"--- worker log ---\n{self.log()}")


@contextmanager
def _running_worker(tmp_path, pool_args, extra_env=None):
    broker_url = settings.REDIS_URL
    queue = _queue_name()
    client = redis.Redis.from_url(broker_url)
    client.delete(queue)  # start from an empty queue; other keys belong to others
    mail_dir = tmp_path / "sent-mail"
    mail_dir.mkdir()
    log_path = tmp_path / "celery-worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portail.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
        "PORTAIL_TEST_CACHE_URL": broker_url,
        "PORTAIL_TEST_CACHE_PREFIX": queue,
        **(extra_env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(CELERY), "-A", "portail", "worker", *pool_args, "-l", "info",
             "-Q", queue, "-n", f"{queue}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    w = Worker(process, mail_dir, log_path, client, queue)
    try:
        w.wait_for(lambda: " ready." in w.log(), timeout=WORKER_START_TIMEOUT,
                   what="the worker to start")
        with celery_conf(task_always_eager=False, broker_url=broker_url,
                         task_default_queue=queue), override_settings(CACHES=shared_cache(
                             broker_url, queue)):
            cache.delete(outbox.DRAIN_QUEUED)
            yield w
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        # The queue and kombu's bookkeeping for it (bindings named after our queue/exchange).
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))
        client.close()


@pytest.fixture
def worker(django_db_setup, tmp_path):
    with _running_worker(tmp_path, ["--pool=solo", "--concurrency=1"]) as w:
        yield w


@pytest.fixture
def pooled_worker(django_db_setup, tmp_path):
    """As production runs it: prefork children, each with a pool of database connections."""
    with _running_worker(tmp_path, ["--pool=prefork", "--concurrency=1"],
                         {"PORTAIL_TEST_DB_POOL": "1"}) as w:
        yield w
