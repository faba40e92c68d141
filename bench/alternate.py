"""A parent's two rush requests in one process, old and new code alternating (CPU per request).

    .venv/bin/python -m bench.alternate --old df1b3ee --rounds 4
    .venv/bin/python -m bench.alternate --old /tmp/old --no-seed   # databases seeded before

What the rush does to the web server, without HTTP and without concurrency: each timed parent
asks for his calendar (`GET /reservations/?enfant=…`, the next bookable month), books the
period's Wednesdays for his children with one htmx `POST /reservations/reserver-periode/`,
presses the same button again (every day « déjà demandé »), and the summary e-mails this wrote
are then delivered (`ground.outbox.deliver`, to Django's in-memory mail backend), as the
Celery worker would. Each is timed with `time.process_time` (this process's CPU: PostgreSQL's
own work is not in it), through Django's test client with the parent's seeded session cookie,
under production settings; the bookings and messages are undone after each parent.

Each version runs in a process of its own, started once from its own directory (the old
revision checked out in a `git worktree` with this tree's `bench/` copied in, as
`bench/compare.py` does), against its own database seeded by the rush's own `seed()` at
reduced scale. The same parent is then served by one version, then by the other, the first
one swapped at each parent: a parent's pair is a fraction of a second apart, so that the
machine's drift (it is shared) falls on both alike. The table gives each round's medians and
their ratio: read the ratios, not the milliseconds. The first parent's statements are
counted (not timed) and, with `--dump`, his answers written for comparison. Redis:
`BENCH_REDIS_URL` (flushed when each process starts)."""

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from bench import stack

KINDS = ("calendar", "book", "again", "mail")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old", help="a git revision, or the directory of a tree already checked out")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--parents", type=int, default=25, help="timed parents per round")
    p.add_argument("--warmup", type=int, default=3, help="parents before the timed ones")
    p.add_argument("--families", type=int, default=200)
    p.add_argument("--children", type=int, default=320)
    p.add_argument("--db-prefix", default="portail_alternate")
    p.add_argument("--no-seed", action="store_true", help="reuse the databases seeded before")
    p.add_argument("--drop", action="store_true", help="drop both databases at the end")
    p.add_argument("--dump", metavar="DIR", help="write the first parent's answers there")
    # The child process's own steps.
    p.add_argument("--step", choices=("seed", "serve"), help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def setup(db: str) -> None:
    stack.apply_env(stack.bench_env(db, http_port=0, smtp_port=25))
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def plan_path(db: str) -> Path:
    return stack.WORK_DIR / f"{db}.json"


def seed_step(args) -> None:
    """Create, migrate and seed this version's database; the Wednesday period opened."""
    from bench import rush

    setup(args.db)
    stack.create_database(args.db)
    stack.flush_redis()
    stack.migrate_and_collect(static=True)
    data = rush.seed(rush.parse_args(["--families", str(args.families), "--children",
                                      str(args.children), "--db", args.db]))
    import datetime

    from django.utils import timezone

    period = data["period"]
    period.opens_at = timezone.now() - datetime.timedelta(days=1)
    period.save(update_fields=["opens_at"])
    stack.analyze()
    plan_path(args.db).write_text(json.dumps({
        "parents": data["parents"], "period": period.pk, "unit": data["unit"],
        "month": data["month"], "activity": data["alsh"].pk}))


def serve_step(args) -> None:
    """Serve parents one at a time: each line read is a parent's number (and "count" to count
    the statements instead of timing); each line written is what his requests cost."""
    setup(args.db)
    stack.flush_redis()
    import django

    django.setup()
    from django.conf import settings
    from django.core.mail import get_connection

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    plan = json.loads(plan_path(args.db).read_text())
    # Parents of two children first: the POST books brothers and sisters together.
    parents = sorted(plan["parents"], key=lambda p: -len(p[2]))
    mail = get_connection("django.core.mail.backends.locmem.EmailBackend")
    print("ready", flush=True)
    for line in sys.stdin:
        number, *flags = line.split()
        out = one_parent(plan, parents[int(number) % len(parents)], mail, count="count" in flags,
                         dump=args.dump if "dump" in flags else None)
        print(json.dumps(out), flush=True)


def one_parent(plan, parent, mail, *, count=False, dump=None) -> dict:
    """A parent's calendar, booking, same booking again and e-mails: {kind: CPU ms}, or
    {kind: statements} when `count`; his bookings and messages undone after."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ground.models import OutboxMessage
    from reservations.models import Reservation, Slot, WaitingListExit

    session_key, _user_id, children = parent

    def undo():
        Reservation.objects.filter(child_id__in=children,
                                   slot__activity_id=plan["activity"]).delete()
        Slot.objects.filter(activity_id=plan["activity"]).update(booked=0, waiting_tickets=0)
        WaitingListExit.objects.all().delete()
        OutboxMessage.objects.all().delete()

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    # Not timed: the session into the cache (the rush's sessions are there already) and the
    # client's middleware built.
    assert client.get("/faq/", secure=True).status_code == 200
    form = {"child": children[0], "period": plan["period"], "mois": plan["month"],
            "unit": plan["unit"], "weekday": 2, "waiting_list": "1", "children": children[1:],
            "confirm": "1"}
    undo()
    steps = (("calendar", partial(calendar, client, children[0])),
             ("book", partial(book, client, form)), ("again", partial(book, client, form)),
             ("mail", partial(deliver_all, mail)))
    out, bodies = {}, {}
    for kind, fn in steps:
        if count:
            with CaptureQueriesContext(connection) as ctx:
                bodies[kind] = fn()
            out[kind] = len(ctx.captured_queries)
        else:
            start = time.process_time()
            bodies[kind] = fn()
            out[kind] = (time.process_time() - start) * 1000
    from django.core import mail as sent  # the in-memory backend's messages

    if dump:
        folder = Path(dump)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in KINDS[:3]:
            (folder / f"{kind}.html").write_bytes(bodies[kind].content)
        (folder / "mail.txt").write_text("\n\n".join(
            f"{m.subject}\n{m.body}" for m in sent.outbox))
    sent.outbox.clear()
    undo()
    return out


def calendar(client, child_id):
    response = client.get(f"/reservations/?enfant={child_id}", secure=True)
    assert response.status_code == 200, response.status_code
    return response


def book(client, form):
    response = client.post("/reservations/reserver-periode/", form, secure=True,
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.status_code
    return response


def deliver_all(connection) -> list[int]:
    """The summaries queued, delivered as the worker would."""
    from ground.models import OutboxMessage
    from ground.outbox import deliver

    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))
    assert ids, "no summary queued"
    for message_id in ids:
        assert deliver(message_id, connection=connection)
    return ids


def seed_child(tree: Path, db: str, args) -> None:
    argv = [sys.executable, "-m", "bench.alternate", "--step", "seed", "--db", db,
            "--families", str(args.families), "--children", str(args.children)]
    result = subprocess.run(argv, cwd=tree, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"seeding in {tree} failed:\n{result.stderr[-3000:]}")


class Server:
    """One version's process, serving parents on demand (`--step serve`)."""

    def __init__(self, tree: Path, db: str, dump: str | None):
        argv = [sys.executable, "-m", "bench.alternate", "--step", "serve", "--db", db]
        if dump:
            argv += ["--dump", dump]
        self.process = subprocess.Popen(argv, cwd=tree, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the server in {tree} did not start")

    def parent(self, number: int, *flags: str) -> dict:
        self.process.stdin.write(" ".join([str(number), *flags]) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the server stopped: see its error output above")
        return json.loads(line)

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


@contextlib.contextmanager
def old_tree(old: str):
    """A directory given as is (this tree's bench copied in); a revision through compare's
    worktree."""
    from bench import compare

    path = Path(old)
    if path.is_dir():
        if path.resolve() != stack.BASE_DIR:
            shutil.rmtree(path / "bench")
            shutil.copytree(stack.BASE_DIR / "bench", path / "bench",
                            ignore=shutil.ignore_patterns("__pycache__"))
        yield path
        return
    with compare.old_tree(old) as (path, _commit):
        yield path


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.step == "seed":
        seed_step(args)
        return 0
    if args.step == "serve":
        serve_step(args)
        return 0
    if not args.old:
        raise SystemExit("--old is required")
    with old_tree(args.old) as old_path:
        trees = {"old": old_path, "new": stack.BASE_DIR}
        dbs = {name: f"{args.db_prefix}_{name}" for name in trees}
        if not args.no_seed:
            for name, tree in trees.items():
                t = time.monotonic()
                seed_child(tree, dbs[name], args)
                print(f"seeded {dbs[name]} in {time.monotonic() - t:.0f} s", flush=True)
        servers = {name: Server(trees[name], dbs[name], args.dump and str(
            Path(args.dump) / name)) for name in trees}
        try:
            results = measure(servers, args)
        finally:
            for server in servers.values():
                server.stop()
        if args.drop:
            for db in dbs.values():
                stack.drop_database(db)
    print("\n" + table(results))
    return 0


def measure(servers: dict, args) -> dict:
    """Each parent served by both versions in turn, the first one swapped each parent; a
    round is `--parents` parents. {version: [round: {kind: [CPU ms per parent]}]}, and the
    statements each version's first parent made."""
    results = {"old": [], "new": [], "queries": {}}
    for name, server in servers.items():  # warm-up and statements, not timed
        results["queries"][name] = server.parent(0, "count", *(["dump"] if args.dump else []))
        for number in range(1, args.warmup):
            server.parent(number)
    number = args.warmup
    for round_number in range(1, args.rounds + 1):
        this = {name: {kind: [] for kind in KINDS} for name in servers}
        for _ in range(args.parents):
            order = ("old", "new") if number % 2 else ("new", "old")
            for name in order:
                for kind, ms in servers[name].parent(number).items():
                    this[name][kind].append(ms)
            number += 1
        for name in servers:
            results[name].append(this[name])
        print(f"round {round_number}: " + ", ".join(
            f"{kind} {statistics.median(this['old'][kind]):.1f} → "
            f"{statistics.median(this['new'][kind]):.1f} ms" for kind in KINDS), flush=True)
    return results


def table(results) -> str:
    """Markdown: each kind's median CPU per round, old and new, and new ÷ old per round."""
    lines = ["| request (median CPU per round, ms) | old | new | new ÷ old per round "
             "| statements old → new |", "|---|---|---|---|---|"]
    for kind in (*KINDS, "parent"):
        cells = {}
        for name in ("old", "new"):
            if kind == "parent":  # a parent's own work: his calendar, booking, e-mails
                cells[name] = [statistics.median(
                    c + b + m for c, b, m in zip(r["calendar"], r["book"], r["mail"],
                                                 strict=True)) for r in results[name]]
            else:
                cells[name] = [statistics.median(r[kind]) for r in results[name]]
        ratios = [n / o for o, n in zip(cells["old"], cells["new"], strict=True)]
        queries = results["queries"]
        label, statements = (("calendar + booking + e-mails", "") if kind == "parent" else
                             (kind, f"{queries['old'][kind]} → {queries['new'][kind]}"))
        lines.append(f"| {label} | {', '.join(f'{v:.1f}' for v in cells['old'])} | "
                     f"{', '.join(f'{v:.1f}' for v in cells['new'])} | "
                     f"{min(ratios):.2f}–{max(ratios):.2f} (median "
                     f"{statistics.median(ratios):.2f}) | {statements} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
