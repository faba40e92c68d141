"""gunicorn's threaded worker, taking no more than its share of the server's connections.

A gthread worker serves the connections it accepted, in turn, and keeps them while they stay
alive. Whichever worker wakes first accepts: at the rush's opening the 500 connections went
186, 180, 111 and 23 to the four workers, which spent the same CPU each, so a parent on the
first would wait about eight times as long as one on the last (186 ÷ 23). p95 was 1.7–2.4
times the mean wait, 1.3–1.7 with the connections shared equally (docs/performance.md).

Here each worker publishes how many connections it holds, in memory shared since the fork,
and a worker holding its share leaves a new connection to the others: it waits in the kernel's
queue, first come first served, for a worker below its share. gunicorn's
`worker_connections` remains each worker's hard limit. A worker killed without cleaning up
(a timeout's SIGKILL) leaves its count behind until the next worker starts, which clears
it: gunicorn starts a replacement at once.

It relies on `ThreadWorker`'s `nr_conns`, which it publishes, and its `accept`. A test starts
real workers and checks the balance, so an upgrade of gunicorn that changes them cannot go
unseen.
"""

import multiprocessing
import os
import time

from gunicorn.workers.gthread import ThreadWorker

# Created when gunicorn loads the worker class, in the master, before it forks any worker.
# One place per live worker; the next worker to start clears the places of dead ones.
PLACES = 64
_PIDS = multiprocessing.Array("i", PLACES, lock=False)
_HELD = multiprocessing.Array("i", PLACES, lock=False)  # each written by its worker only
_CLAIM = multiprocessing.Lock()
STAND_ASIDE_SECONDS = 0.002


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or its number taken by another's
        return False
    return True


def _claim_place(pid: int) -> int | None:
    """A place for a starting worker, after clearing those of workers that died. None, and
    the worker then accepts as gunicorn's own does, if there is no place left or if the lock
    stays taken (a worker killed while holding it)."""
    if not _CLAIM.acquire(timeout=1):
        return None
    try:
        for place in range(PLACES):
            if _PIDS[place] and not _alive(_PIDS[place]):
                _PIDS[place], _HELD[place] = 0, 0
        for place in range(PLACES):
            if _PIDS[place] == 0:
                _PIDS[place], _HELD[place] = pid, 0
                return place
        return None
    finally:
        _CLAIM.release()


class FairThreadWorker(ThreadWorker):
    _place = None  # set in the worker's process, after the fork

    @property
    def nr_conns(self) -> int:
        return self._nr_conns

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._nr_conns = value
        if self._place is not None:
            _HELD[self._place] = value

    def init_process(self) -> None:
        self._place = _claim_place(os.getpid())
        super().init_process()

    def accept(self, listener) -> None:
        # An equal share of the connections open now and of this one: the shares add up to
        # more than are open, so some worker is below its share and takes the connection
        # (every worker's loop wakes for it). This one pauses a moment rather than spin on
        # a connection still waiting for that worker.
        if self._place is not None and self.nr_conns >= -(-(sum(_HELD) + 1) // self.cfg.workers):
            time.sleep(STAND_ASIDE_SECONDS)
            return
        super().accept(listener)

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.nr_conns = 0  # what it still held no longer counts against the others
            if self._place is not None:
                _PIDS[self._place] = 0
