"""The web worker class takes no more than its share of the connections: started for real,
four gunicorn workers each hold a quarter of the kept-alive connections, arriving at once.
With gunicorn's own gthread worker this test fails: the 80 connections went to two of the four
workers, the 37 to three."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
WORKERS = 4


@pytest.fixture
def server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tests.portail.pid_wsgi:application",
         "--worker-class", "portail.web_worker.FairThreadWorker", "--workers", str(WORKERS),
         "--threads", "2", "--bind", f"127.0.0.1:{port}", "--keep-alive", "30",
         "--log-level", "warning"],
        cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: portail.test\r\nConnection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: portail.test\r\n\r\n")
    return sock


def _ask(sock: socket.socket) -> bytes:
    """The pid in the answer to the request already sent on `sock`."""
    data = b""
    while True:
        head, blank_line, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head) if blank_line else None
        if length and len(body) >= int(length[1]):
            return body
        chunk = sock.recv(4096)
        assert chunk, "connection closed before the answer"
        data += chunk


@pytest.mark.parametrize("connections", [80, 37])
def test_each_worker_holds_its_share_of_the_kept_alive_connections(server, connections):
    port, _master = server
    # All at once, as at the opening: the connections queue while the workers wake up.
    socks = [_connect(port) for _ in range(connections)]
    try:
        holders = [_ask(sock) for sock in socks]
        counts = sorted(Counter(holders).values(), reverse=True)
        assert len(counts) == WORKERS and counts[0] - counts[-1] <= 2, counts
        # Kept alive, a connection stays with its worker: asked again, the same one answers.
        for sock in socks[:10]:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: portail.test\r\n\r\n")
        assert [_ask(sock) for sock in socks[:10]] == holders[:10]
    finally:
        for sock in socks:
            sock.close()


def _workers(master: int) -> set[int]:
    """The processes gunicorn's master started (Linux /proc)."""
    children = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == master:
            children.add(int(pid))
    return children


def test_a_killed_worker_does_not_leave_its_connections_counted(server):
    """A worker killed by the master's timeout cannot say it is gone: its replacement must
    not find the others' shares swollen by the connections it held."""
    port, master = server
    socks = [_connect(port) for _ in range(80)]
    holders = [_ask(sock) for sock in socks]
    victim = int(holders[0])
    os.kill(victim, signal.SIGKILL)
    for sock in socks:
        sock.close()
    deadline = time.monotonic() + 30
    while victim in _workers(master) or len(_workers(master)) < WORKERS:
        assert time.monotonic() < deadline, "gunicorn did not replace the worker"
        time.sleep(0.1)
    time.sleep(0.5)  # the workers see the closed connections
    socks = [_connect(port) for _ in range(20)]
    try:
        counts = sorted(Counter(_ask(sock) for sock in socks).values(), reverse=True)
        assert len(counts) == WORKERS and counts[0] - counts[-1] <= 2, counts
    finally:
        for sock in socks:
            sock.close()
