"""This machine against the issue's: its reference page, measured beside ours.

    make bench-reference        # or: .venv/bin/python -m bench.reference

Issue 7 measured "a trivial page: about 3,300 requests/s" with a minimal Django 5.2 under
gunicorn gthread 2 × 4 on its 2-core machine, and set the rush's absolute targets (p95 < 2 s,
10,000 parents within 60 s) on that machine. This serves the same kind of page
(`bench/minimal_app.py`) and the portal's own trivial page (`/sante/`, production settings,
`docker/gunicorn.conf.py`, as the rush bench does) side by side, through the rush bench's
client (500 keep-alive connections), alternating 10-second measures, and prints both rates:
how fast this machine is against the issue's, and what the portal's stack costs per request
against a bare Django."""

import argparse
import asyncio
import statistics
import sys

from bench import stack
from bench.rush import Recorder, trivial


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--connections", type=int, default=500)
    p.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--db", default="portail_reference")
    args = p.parse_args(argv)
    minimal_port = args.port + 1
    env = stack.bench_env(args.db, http_port=args.port, smtp_port=25)
    stack.apply_env(env)
    processes = stack.Processes(env)
    rates = {"minimal Django (the issue's reference)": [], "the portal's /sante/": []}
    try:
        stack.create_database(args.db)
        stack.migrate_and_collect(static=True)
        processes.start_gunicorn()
        processes.start_reference(minimal_port)
        processes.wait_http(args.port)
        processes.wait_http(minimal_port)
        ports = dict(zip(rates, (minimal_port, args.port), strict=True))
        for port in ports.values():  # warm-up: imports, pools
            asyncio.run(trivial(args, Recorder(), 2.0, port=port))
        for _ in range(args.rounds):
            for name, port in ports.items():
                rate = asyncio.run(trivial(args, Recorder(), args.seconds, port=port))
                rates[name].append(rate)
                print(f"{name}: {rate:,.0f} req/s", flush=True)
    finally:
        processes.stop()
        from django.db import connections

        connections.close_all()
        stack.drop_database(args.db)
    minimal, ours = (statistics.mean(v) for v in rates.values())
    issue = stack.ISSUE_REFERENCE_RATE
    print(f"\nmeans over {args.rounds} rounds of {args.seconds:g} s, {args.connections} "
          f"connections: minimal Django {minimal:,.0f} req/s ({minimal / issue:.2f} x the "
          f"issue's {issue:,}), the portal's /sante/ {ours:,.0f} req/s "
          f"({ours / minimal:.2f} x minimal Django)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
