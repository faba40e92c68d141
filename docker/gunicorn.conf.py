"""Gunicorn settings for the production image (`gunicorn portail.wsgi:application -c …`).

gthread workers: a few processes, each with threads, so that a request waiting on PostgreSQL
does not hold a whole process. Sized for a 2-core machine; tune through the environment.
Twice as many processes as cores: a process runs one thread at a time (Python's GIL) and keeps
the connections it accepted, so with one process per core a core idled whenever its process's
connections were quiet (the rush at 2 × 4: 43–50 parents/s, the cores 76 % busy; 4 × 2: 58).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# across them. A gthread worker keeps the connections it accepted; with one shared socket
# whichever worker woke first took them, and at the opening four workers held 186, 180, 111 and
# 23 of 500 kept-alive connections, with the same CPU each (docs/performance.md).
reuse_port = True
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# A request slower than this is a bug or a hung dependency: the worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Import Django once, in the master: a recycled worker is then a fork (milliseconds), not a
# fresh import of every app (1.5 s of CPU, measured), which on opening day the two cores
# cannot spare.
preload_app = True
# Recycle workers now and then, staggered, so that a slow leak never takes the site down.
max_requests = 10000
max_requests_jitter = 1000
# Docker's overlay file system can block the workers' heartbeat file; memory does not.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - shared memory, per container
# The home directory is read-only for the app user; the control socket is not needed.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
