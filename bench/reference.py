"""This machine against the issue's: its reference page, measured beside ours.

    make bench-reference        # or: .venv/bin/python -m bench.reference

Issue 7 measured "a trivial page: about 3,300 requests/s" with a minimal Django 5.2 under
gunicorn gthread 2 × 4 on its 2-core machine, and set the rush's absolute targets (p95 < 2 s,
10,000 parents within 60 s) on that machine. This serves the same kind of page
(`bench/minimal_app.py`) and the portal's own trivial page (`/sante/`, production settings,
`docker/gunicorn.conf.py`, as the rush bench does) side by side, through the rush bench's
client (500 keep-alive connections), alternating 10-second measures, and prints both rates:
how fast this machine is against the issue's, and what the portal's stack costs per request
against a bare Django. Beside them, the portal's FAQ, a page with no data of its own, for
visitors and for logged-in parents (500 of them, sessions written beforehand as the rush
does): the floor every parent page stands on, in reference requests."""

import argparse
import asyncio
import statistics
import sys
import urllib.request

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
    try:
        stack.create_database(args.db)
        stack.flush_redis()
        stack.migrate_and_collect(static=True)
        sessions = logged_in_parents(args.connections)
        processes.start_gunicorn()
        processes.start_reference(minimal_port)
        processes.wait_http(args.port)
        processes.wait_http(minimal_port)
        check_logged_in(args.port, sessions[0])
        pages = {  # name: (port, path, sessions)
            "minimal Django (the issue's reference)": (minimal_port, "/sante/", ()),
            "the portal's /sante/": (args.port, "/sante/", ()),
            "the portal's FAQ, anonymous": (args.port, "/faq/", ()),
            "the portal's FAQ, logged in": (args.port, "/faq/", sessions),
        }
        rates = {name: [] for name in pages}
        for port, path, keys in pages.values():  # warm-up: imports, pools, caches
            asyncio.run(trivial(args, Recorder(), 2.0, port=port, path=path, sessions=keys))
        for _ in range(args.rounds):
            for name, (port, path, keys) in pages.items():
                rate = asyncio.run(trivial(args, Recorder(), args.seconds, port=port,
                                           path=path, sessions=keys))
                rates[name].append(rate)
                print(f"{name}: {rate:,.0f} req/s", flush=True)
    finally:
        processes.stop()
        from django.db import connections

        connections.close_all()
        stack.flush_redis()
        stack.drop_database(args.db)
    minimal, ours, faq, faq_logged_in = (statistics.mean(v) for v in rates.values())
    issue = stack.ISSUE_REFERENCE_RATE
    print(f"\nmeans over {args.rounds} rounds of {args.seconds:g} s, {args.connections} "
          f"connections: minimal Django {minimal:,.0f} req/s ({minimal / issue:.2f} x the "
          f"issue's {issue:,}), the portal's /sante/ {ours:,.0f} req/s "
          f"({ours / minimal:.2f} x minimal Django)")
    print(f"the portal's FAQ: {faq:,.0f} req/s for visitors, {faq_logged_in:,.0f} for "
          f"logged-in parents: each logged-in page costs {minimal / faq_logged_in:.1f} "
          f"reference requests, of the 20 a parent may cost (calendar and booking) at the "
          f"issue's ratio of 0.05")
    return 0


def check_logged_in(port: int, session_key: str) -> None:
    """The FAQ answers visitors too: make sure the sessions really log parents in."""
    request = urllib.request.Request(
        f"http://{stack.HOST}:{port}/faq/",
        headers={"X-Forwarded-Proto": "https", "Cookie": f"sessionid={session_key}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if "Se déconnecter" not in response.read().decode():
            raise RuntimeError("the seeded sessions do not log parents in")


def logged_in_parents(count: int) -> list[str]:
    """Session keys of `count` parents, each of a family with one child, logged in."""
    from bench import seed

    _families, users, _guardians, _children = seed.families(count, count, 1,
                                                            rng=seed.rng_for(2026))
    return list(seed.sessions(users).values())


if __name__ == "__main__":
    sys.exit(main())
