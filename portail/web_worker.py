"""gunicorn's threaded worker, taking no more than its share of the server's connections.

A gthread worker serves the connections it accepted, in turn, and keeps them while they stay
alive. Whichever worker wakes first accepts: at the rush's opening the 500 connections went
186, 180, 111 and 23 to the four workers, which spent the same CPU each, so a parent on the
first would wait about eight times as long as one on the last (186 ÷ 23). p95 was 1.7–2.4
times the mean wait, 1.3–1.7 with the connections shared equally (docs/performance.md).

Here the workers count their open connections together, in memory shared since the fork,
and a worker holding its share leaves a new connection to the others: it waits in the kernel's
queue, first come first served, for a worker below its share. gunicorn's
`worker_connections` remains each worker's hard limit.

It relies on `ThreadWorker`'s `nr_conns`, which it keeps up to date, and its `accept`. A
test starts real workers and checks the balance, so an upgrade of gunicorn that changes them
cannot go unseen.
"""

import multiprocessing
import time

from gunicorn.workers.gthread import ThreadWorker

# Created when gunicorn loads the worker class, in the master, before it forks the workers: a
# counter a worker killed without cleaning up leaves too high, which only loosens the share
# back toward gunicorn's own behaviour.
_OPEN = multiprocessing.Value("i", 0)
STAND_ASIDE_SECONDS = 0.002


class FairThreadWorker(ThreadWorker):
    @property
    def nr_conns(self) -> int:
        return self._nr_conns

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        change = value - getattr(self, "_nr_conns", 0)
        self._nr_conns = value
        if change:
            with _OPEN.get_lock():
                _OPEN.value += change

    def accept(self, listener) -> None:
        # An equal share of the connections open now and of this one: the shares add up to
        # more than are open, so some worker is below its share and takes the connection
        # (every worker's loop wakes for it). This one pauses a moment rather than spin on
        # a connection still waiting for that worker.
        if self.nr_conns >= -(-(_OPEN.value + 1) // self.cfg.workers):
            time.sleep(STAND_ASIDE_SECONDS)
            return
        super().accept(listener)

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.nr_conns = 0  # what it still held no longer counts against the others
