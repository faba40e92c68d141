"""Which process holds the server's connections (Linux /proc): how evenly gunicorn's workers
share the clients, the main cause of unequal waits at a given throughput."""

import os
from collections import Counter

ESTABLISHED = "01"


def _server_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == ESTABLISHED and local_port == port:
                inodes.add(fields[9])
    return inodes


def connections_by_process(port: int) -> Counter:
    """Established connections accepted on `port`, counted per process id holding them."""
    inodes = _server_inodes(port)
    counts = Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or not ours
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                counts[int(pid)] += 1
    return counts
