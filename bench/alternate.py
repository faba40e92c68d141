"""A parent's two rush requests in one process, old and new code alternating (CPU per request).

    .venv/bin/python -m bench.alternate --old df1b3ee --rounds 4
    .venv/bin/python -m bench.alternate --old /tmp/old --rounds 2 --no-seed   # seeded before

What the rush does to the web server, without HTTP and without concurrency: each timed parent
asks for his calendar (`GET /reservations/?enfant=…`, the next bookable month), books the
period's Wednesdays for his children with one htmx `POST /reservations/reserver-periode/`,
presses the same button again (every day « déjà demandé »), and the summary e-mails this wrote
are then delivered (`ground.outbox.deliver`, to Django's in-memory mail backend), as the
Celery worker would. Each is timed with `time.process_time` (this process's CPU: PostgreSQL's
own work is not in it), through Django's test client with the parent's seeded session cookie,
under production settings; the bookings and messages are undone after each parent.

Each version runs in its own process from its own directory (the old revision checked out in
a `git worktree` with this tree's `bench/` copied in, as `bench/compare.py` does), against its
own database seeded by the rush's own `seed()` at reduced scale, the order swapped each round
(old then new, new then old, ...): the machine's drift falls on both alike. Read the ratios,
not the milliseconds. Redis: `BENCH_REDIS_URL` (flushed before each process)."""

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
    p.add_argument("--parents", type=int, default=27, help="timed parents per process")
    p.add_argument("--warmup", type=int, default=3, help="parents before the timed ones")
    p.add_argument("--families", type=int, default=200)
    p.add_argument("--children", type=int, default=320)
    p.add_argument("--db-prefix", default="portail_alternate")
    p.add_argument("--no-seed", action="store_true", help="reuse the databases seeded before")
    p.add_argument("--drop", action="store_true", help="drop both databases at the end")
    p.add_argument("--dump", metavar="DIR", help="write the first parent's answers there")
    # The child process's own steps.
    p.add_argument("--step", choices=("seed", "measure"), help=argparse.SUPPRESS)
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


def measure_step(args) -> None:
    """Time each request of `--parents` parents after `--warmup` others; prints JSON."""
    setup(args.db)
    stack.flush_redis()
    import django

    django.setup()
    from django.conf import settings
    from django.core.mail import get_connection
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ground.models import OutboxMessage
    from reservations.models import Reservation, Slot, WaitingListExit

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    plan = json.loads(plan_path(args.db).read_text())
    # Parents of two children first: the POST books brothers and sisters together.
    parents = sorted(plan["parents"], key=lambda p: -len(p[2]))
    parents = parents[:args.warmup + args.parents]
    mail = get_connection("django.core.mail.backends.locmem.EmailBackend")
    times = {kind: [] for kind in KINDS}
    queries = {kind: [] for kind in KINDS}
    dumps = {}

    def timed(kind, fn, count):
        if count:
            with CaptureQueriesContext(connection) as ctx:
                result = fn()
            queries[kind].append(len(ctx.captured_queries))
            return result
        start = time.process_time()
        result = fn()
        times[kind].append(time.process_time() - start)
        return result

    def undo(children):
        Reservation.objects.filter(child_id__in=children,
                                   slot__activity_id=plan["activity"]).delete()
        Slot.objects.filter(activity_id=plan["activity"]).update(booked=0, waiting_tickets=0)
        WaitingListExit.objects.all().delete()
        OutboxMessage.objects.all().delete()

    for number, (session_key, _user_id, children) in enumerate(parents):
        warm = number < args.warmup
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        # Not timed: the session into the cache (the rush's sessions are there already)
        # and the client's middleware built.
        assert client.get("/faq/", secure=True).status_code == 200
        form = {"child": children[0], "period": plan["period"], "mois": plan["month"],
                "unit": plan["unit"], "weekday": 2, "waiting_list": "1",
                "children": children[1:]}
        undo(children)
        first = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        dumps["calendar"] = timed("calendar", partial(calendar, client, children[0]),
                                  warm).content
        dumps["book"] = timed("book", partial(book, client, form), warm).content
        dumps["again"] = timed("again", partial(book, client, form), warm).content
        timed("mail", partial(deliver_all, first, mail), warm)
        if number == 0 and args.dump:
            out = Path(args.dump)
            out.mkdir(parents=True, exist_ok=True)
            for kind, body in dumps.items():
                (out / f"{kind}.html").write_bytes(body)
            from django.core import mail as outbox

            (out / "mail.txt").write_text("\n\n".join(
                f"{m.subject}\n{m.body}" for m in getattr(outbox, "outbox", [])))
        undo(children)
    print(json.dumps({"ms": {k: [t * 1000 for t in v] for k, v in times.items()},
                      "queries": queries}))


def calendar(client, child_id):
    response = client.get(f"/reservations/?enfant={child_id}", secure=True)
    assert response.status_code == 200, response.status_code
    return response


def book(client, form):
    response = client.post("/reservations/reserver-periode/", form, secure=True,
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.status_code
    return response


def deliver_all(after: int, connection) -> list[int]:
    """The summaries queued since message `after`, delivered as the worker would."""
    from ground.models import OutboxMessage
    from ground.outbox import deliver

    ids = list(OutboxMessage.objects.filter(pk__gt=after).order_by("pk")
               .values_list("pk", flat=True))
    assert ids, "no summary queued"
    for message_id in ids:
        assert deliver(message_id, connection=connection)
    return ids


def child(tree: Path, step: str, db: str, args, extra=()) -> str:
    argv = [sys.executable, "-m", "bench.alternate", "--step", step, "--db", db,
            "--parents", str(args.parents), "--warmup", str(args.warmup),
            "--families", str(args.families), "--children", str(args.children), *extra]
    result = subprocess.run(argv, cwd=tree, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{step} in {tree} failed:\n{result.stderr[-3000:]}")
    return result.stdout


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
    if args.step == "measure":
        measure_step(args)
        return 0
    if not args.old:
        raise SystemExit("--old is required")
    results = {"old": [], "new": []}
    with old_tree(args.old) as old_path:
        trees = {"old": old_path, "new": stack.BASE_DIR}
        dbs = {name: f"{args.db_prefix}_{name}" for name in trees}
        if not args.no_seed:
            for name, tree in trees.items():
                t = time.monotonic()
                child(tree, "seed", dbs[name], args)
                print(f"seeded {dbs[name]} in {time.monotonic() - t:.0f} s", flush=True)
        for number in range(1, args.rounds + 1):
            for name in ("old", "new") if number % 2 else ("new", "old"):
                extra = ["--dump", str(Path(args.dump) / name)] if args.dump else []
                out = json.loads(child(trees[name], "measure", dbs[name], args, extra))
                results[name].append(out)
                medians = {k: statistics.median(v) for k, v in out["ms"].items()}
                print(f"round {number} {name}: " + ", ".join(
                    f"{k} {medians[k]:.1f} ms ({min(out['queries'][k])}–"
                    f"{max(out['queries'][k])} q)" for k in KINDS), flush=True)
        if args.drop:
            for db in dbs.values():
                stack.drop_database(db)
    print("\n" + table(results))
    return 0


def table(results) -> str:
    """Markdown: each kind's median CPU per round, old and new, and new ÷ old per round."""
    lines = ["| request (median CPU, ms) | old | new | new ÷ old | queries old → new |",
             "|---|---|---|---|---|"]
    total = {"old": [], "new": []}
    for kind in (*KINDS, "parent"):
        cells = {}
        for name in ("old", "new"):
            if kind == "parent":
                cells[name] = total[name]
            else:
                cells[name] = [statistics.median(r["ms"][kind]) for r in results[name]]
                for i, value in enumerate(cells[name]):
                    if len(total[name]) <= i:
                        total[name].append(0.0)
                    if kind != "again":  # a parent's own work: calendar, booking, e-mails
                        total[name][i] += value
        ratios = [n / o for o, n in zip(cells["old"], cells["new"], strict=True)]
        q = ("" if kind == "parent" else
             f"{max(results['old'][0]['queries'][kind])} → "
             f"{max(results['new'][0]['queries'][kind])}")
        label = "calendar + booking + e-mails" if kind == "parent" else kind
        lines.append(f"| {label} | {', '.join(f'{v:.1f}' for v in cells['old'])} | "
                     f"{', '.join(f'{v:.1f}' for v in cells['new'])} | "
                     f"{min(ratios):.2f}–{max(ratios):.2f} (median "
                     f"{statistics.median(ratios):.2f}) | {q} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
