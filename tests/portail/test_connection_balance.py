"""The kept-alive connections are spread over gunicorn's workers: started for real with
docker/gunicorn.conf.py, four gthread workers each take a share of the connections arriving at
once. The configuration's `reuse_port` (gunicorn's documented setting: each worker listens on
its own SO_REUSEPORT socket and the kernel spreads new connections across them) does it; with
one shared socket whichever worker wakes first accepts, and the 80 connections went to two of
the four workers, the 37 to three (docs/performance.md)."""

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
         "-c", str(BASE_DIR / "docker" / "gunicorn.conf.py"), "--keep-alive", "30",
         "--access-logfile", "/dev/null"],
        cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}",
             "GUNICORN_WORKERS": str(WORKERS), "GUNICORN_THREADS": "2",
             "GUNICORN_LOG_LEVEL": "warning"},
    )
    try:
        deadline = time.monotonic() + 30
        seen = set()  # each worker binds its socket after its fork: wait until all answer
        while len(seen) < WORKERS:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, f"gunicorn did not start: {seen}"
            seen.add(_answers(port))
            seen.discard(None)
            time.sleep(0.05)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(port: int) -> bytes | None:
    """The pid of the worker answering a new connection, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: portail.test\r\nConnection: close\r\n\r\n")
            return _ask(sock)
    except OSError:
        return None


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


def spread_well(counts: list[int], connections: int) -> bool:
    """Every worker holds some, none more than twice its share. The kernel spreads by a hash
    of each connection's addresses, not in turn: 80 connections give about 20 ± 4 each."""
    return len(counts) == WORKERS and max(counts) <= 2 * connections / WORKERS


@pytest.mark.parametrize("connections", [80, 120])
def test_each_worker_holds_a_share_of_the_kept_alive_connections(server, connections):
    port, _master = server
    # All at once, as at the opening: the connections queue while the workers wake up.
    socks = [_connect(port) for _ in range(connections)]
    try:
        holders = [_ask(sock) for sock in socks]
        counts = sorted(Counter(holders).values(), reverse=True)
        assert spread_well(counts, connections), counts
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


def test_a_killed_workers_replacement_takes_its_share(server):
    """A worker killed by the master's timeout is replaced, and the replacement, listening on
    its own socket, takes its share of the new connections."""
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
    socks = [_connect(port) for _ in range(80)]
    try:
        counts = sorted(Counter(_ask(sock) for sock in socks).values(), reverse=True)
        assert spread_well(counts, 80), counts
    finally:
        for sock in socks:
            sock.close()
