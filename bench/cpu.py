"""CPU seconds spent by each part of the stack during a measured interval, read from /proc
(Linux): where a parent's cost goes, beyond the web process's own profile."""

import os
from collections import Counter

TICKS = os.sysconf("SC_CLK_TCK")
WEB, LOAD, WORKER, POSTGRES = ("web (gunicorn)", "load generator (this process)",
                               "worker (celery)", "postgresql")
REFERENCE = "reference page (minimal Django)"


def _kind(pid: int, cmdline: str, comm: str) -> str:
    if pid == os.getpid():
        return LOAD
    if "bench.minimal_app" in cmdline:
        return REFERENCE
    if "gunicorn" in cmdline:
        return WEB
    if "celery" in cmdline:
        return WORKER
    if comm.startswith("postgres") or cmdline.startswith("postgres"):
        return POSTGRES
    if comm.startswith("redis"):
        return "redis"
    return "other"


def snapshot() -> Counter:
    """Total user + system CPU seconds per kind of process, for every process alive now."""
    totals = Counter()
    for (kind, _pid), seconds in by_process().items():
        totals[kind] += seconds
    return totals


def by_process() -> Counter:
    """User + system CPU seconds per (kind, process id), for every process alive now."""
    totals = Counter()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # utime, stime, and cutime, cstime: the children it reaped (gunicorn's recycled
        # workers, PostgreSQL's closed backends) would otherwise vanish from the count.
        ticks = sum(int(value) for value in fields[11:15])
        totals[(_kind(int(name), cmdline, comm), int(name))] += ticks / TICKS
    return totals


def spent(before: Counter, after: Counter) -> Counter:
    """CPU seconds per key (kind, or kind and process) between two snapshots (a process that
    exits counts through the parent that reaps it)."""
    return Counter({k: max(0.0, after[k] - before[k]) for k in after})
