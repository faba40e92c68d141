"""Fair allocation at scale (issue 28), measured on this machine (docs/performance.md).

    make bench-allocation      # or: .venv/bin/python -m bench.allocation --help

Seeds a dedicated PostgreSQL database like the rush (5,000 families, 8,000 children, 15
Wednesdays of --capacity places) with the Wednesdays' period in allocation mode, then:

1. The wish window through HTTP (gunicorn, production settings): parents arrive at random
   (a Poisson process, the rush's --arrivals) at --rate per second spread over
   --window-seconds; each opens the wish page and sends his children's wishes for every
   Wednesday. Latency percentiles per part of the window: flat, because nobody needs to come
   at the opening. The window then closes, a run allocates the places, and the share granted
   is reported by when the parents sent their wishes: being early is worth nothing.
2. The allocation run with wishes for all: run_allocation end to end (reads, each child's
   criteria, the draw, the entries written) and the pure algorithm (draw.allocate) alone,
   for --families-sweep at the full number of days and --days-sweep at the full number of
   families; then the full run's publication (reservations, waiting lists, e-mails)."""

import argparse
import asyncio
import datetime
import sys
import time
from collections import defaultdict

from bench import stack
from bench.httpclient import Connection, CookieJar, now
from bench.rush import (
    CSRF_FIELD,
    Recorder,
    arrival_plan,
    headers_for,
    in_parts,
    pct,
    trivial,
)


def number_list(text: str) -> list[int]:
    try:
        found = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"numbers separated by commas, not {text!r}") from None
    if not found or min(found) <= 0:
        raise argparse.ArgumentTypeError("each number must be above 0")
    return found


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", type=int, default=5000)
    p.add_argument("--children", type=int, default=8000)
    p.add_argument("--wednesdays", type=int, default=15)
    p.add_argument("--capacity", type=int, default=300, help="places per Wednesday")
    p.add_argument("--families-sweep", type=number_list, default=[1250, 2500, 5000])
    p.add_argument("--days-sweep", type=number_list, default=[5, 10, 15])
    p.add_argument("--rate", type=float, default=20.0,
                   help="parents arriving per second during the wish window")
    p.add_argument("--window-seconds", type=float, default=60.0,
                   help="how long the measured wish window lasts")
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--port", type=int, default=8775)
    p.add_argument("--db", default="portail_bench_allocation")
    p.add_argument("--no-http", action="store_true", help="only the allocation runs")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--seed", type=int, default=2026)
    return p.parse_args(argv)


# --- seeding -------------------------------------------------------------------------------
def seed(args):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench import seed as s
    from familles.models import Family
    from inscriptions.models import Site
    from reservations.models import BookingPeriod, DeadlineRule
    from reservations.services import commit_draw

    rng = s.rng_for(args.seed)
    t0 = time.perf_counter()
    today = timezone.localdate()
    wednesdays, year = s.wednesdays_and_year(today, args.wednesdays)
    site = Site.objects.create(name="Centre de loisirs (banc d'essai)")
    staff = get_user_model().objects.create(email="agent@bench.example", is_staff=True)
    fams, users, guardians, children = s.families(args.families, args.children, 1, rng=rng)
    # One family in five lives outside the commune: the first rule has classes to make.
    Family.objects.filter(pk__in=[f.pk for f in fams[::5]]).update(postal_code="29000")
    s.annual_files(children, year, staff)
    alsh, unit = s.activity(year, site, kind="alsh_wednesday", name="Mercredis nature",
                            days="wednesdays", weekdays=[], unit_label="Après-midi")
    s.enrol(children, alsh, site, {g.family_id: g.user for g in guardians})
    DeadlineRule.objects.create(activity=alsh, kind="working_days", days=2,
                                time=datetime.time(10, 0))
    slots = s.slots(alsh, unit, site, wednesdays, args.capacity)
    moment = timezone.now()
    period = BookingPeriod.objects.create(
        activity=alsh, label="Mercredis nature", first_day=wednesdays[0],
        last_day=wednesdays[-1], mode=BookingPeriod.Mode.ALLOCATION,
        wishes_open_at=moment + datetime.timedelta(seconds=1),
        wishes_close_at=moment + datetime.timedelta(days=1),
        opens_at=moment + datetime.timedelta(days=30))
    period = commit_draw(period.pk, now=moment)
    keys = s.sessions(users)
    kids = defaultdict(list)
    for child in children:
        kids[child.family_id].append(child.pk)
    parents = [(keys[g.user_id], g.family_id, kids[g.family_id]) for g in guardians]
    rng.shuffle(parents)
    print(f"seeded in {time.perf_counter() - t0:.1f} s: {len(fams)} families, {len(children)} "
          f"children, {len(slots)} Wednesdays of {args.capacity} places", flush=True)
    return {"period": period, "slots": [slot.pk for slot in slots], "parents": parents,
            "staff": staff, "families": [f.pk for f in fams], "children": kids}


# --- the wish window through HTTP ------------------------------------------------------------
def wish_form(token: str, children, slots) -> dict:
    """What the wish page's form sends for every Wednesday of each child (no rank)."""
    return {"csrfmiddlewaretoken": token, "enfant": list(children),
            "voeu": [f"{child}-{slot}" for child in children for slot in slots]}


async def visit(args, data, rec: Recorder, conn, parent, arrived, times) -> bool:
    session_key, _family, children = parent
    path = f"/reservations/voeux/{data['period'].pk}/"
    jar = CookieJar(sessionid=session_key)
    response, _ = await rec.call(conn, "wish page", "GET", path, jar, start=arrived, into=times)
    if response is None or response.status != 200:
        return False
    token = CSRF_FIELD.search(response.body)
    if token is None:
        rec.outcomes["wish page"]["no csrf form"] += 1
        return False
    response, _ = await rec.call(conn, "send wishes", "POST", path, jar,
                                 form=wish_form(token[1].decode(), children, data["slots"]),
                                 into=times)
    return response is not None and response.status == 303


async def window(args, data, rec: Recorder):
    """Parents arriving at random over the window, through at most --connections
    connections; returns {family id: seconds after the window's start it sent its wishes}."""
    idle: asyncio.Queue = asyncio.Queue()
    for _ in range(args.connections):
        idle.put_nowait(Connection(stack.HOST, args.port, headers_for(args.port),
                                   args.timeout))
    plan = arrival_plan([args.rate], args.window_seconds, len(data["parents"]), args.seed)
    start, sent, tasks = now(), {}, []

    async def arrives(parent, arrived):
        conn = await idle.get()
        times = []
        try:
            ok = await visit(args, data, rec, conn, parent, arrived, times)
        finally:
            idle.put_nowait(conn)
        rec.visits.append((arrived - start, now() - arrived, times))
        if ok:
            sent[parent[1]] = arrived - start

    for parent, (offset, _step) in zip(data["parents"], plan, strict=False):
        await asyncio.sleep(max(0.0, start + offset - now()))
        tasks.append(asyncio.create_task(arrives(parent, start + offset)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        await idle.get_nowait().close()
    return sent


async def warm_up(args, data) -> None:
    """Imports, pools and template caches of every worker, before the window is measured:
    the trivial page, then the wish page of parents the window will not bring."""
    await trivial(args, Recorder(), 2.0)
    conn = Connection(stack.HOST, args.port, headers_for(args.port), args.timeout)
    for session_key, _family, _children in data["parents"][-20:]:
        await conn.request("GET", f"/reservations/voeux/{data['period'].pk}/",
                           CookieJar(sessionid=session_key))
    await conn.close()


def shares_by_arrival(sent: dict[int, float], entries, parts: int = 3) -> list[tuple]:
    """(families, share of their wishes granted) for the families in each equal part of the
    window, by when they sent their wishes. `entries`: (family id, granted) per wish."""
    granted, wished = defaultdict(int), defaultdict(int)
    for family, is_granted in entries:
        wished[family] += 1
        granted[family] += is_granted
    if not sent:
        return []
    first, last = min(sent.values()), max(sent.values())
    groups = in_parts([(at, family) for family, at in sent.items()], first, last, parts)
    return [(len(g), sum(granted[f] for f in g) / max(1, sum(wished[f] for f in g)))
            for g in groups]


def measure_window(args, data, processes) -> list[str]:
    from django.utils import timezone

    from reservations.models import AllocationEntry, BookingPeriod
    from reservations.services import run_allocation

    rec = Recorder()
    processes.wait_http(args.port)
    asyncio.run(warm_up(args, data))
    sent = asyncio.run(window(args, data, rec))
    # The window closes: the run takes what the parents sent.
    BookingPeriod.objects.filter(pk=data["period"].pk).update(wishes_close_at=timezone.now())
    allocation = run_allocation(data["period"].pk, data["staff"],
                                now=timezone.now() + datetime.timedelta(seconds=1))
    entries = AllocationEntry.objects.filter(allocation=allocation).exclude(
        outcome="excluded").values_list("family_id", "outcome")
    shares = shares_by_arrival(sent, [(f, o == "granted") for f, o in entries])
    visits = sorted(rec.visits)
    lines = ["", "=== The wish window through HTTP ===",
             f"{len(visits)} parents arriving at random, {args.rate:g} per second over "
             f"{args.window_seconds:g} s, {args.connections} connections; "
             f"{len(sent)} sent their wishes",
             f"{'kind':16} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for kind, values in rec.latency.items():
        lines.append(f"{kind:16} {len(values):7} {pct(values, .5) * 1000:8.0f} "
                     f"{pct(values, .95) * 1000:8.0f} {pct(values, .99) * 1000:8.0f} "
                     f"{max(values) * 1000:8.0f}")
    if visits:
        groups = in_parts([(at, t) for at, _took, times in visits for t in times],
                          0.0, args.window_seconds, 5)
        lines.append("requests in 5 parts of the window, by arrival (p50 / p95 ms): " + ", ".join(
            f"{pct(g, .5) * 1000:.0f} / {pct(g, .95) * 1000:.0f}" if g else "-"
            for g in groups))
    lines.append("answers: " + "; ".join(
        f"{kind}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items(), key=str))
        for kind, c in rec.outcomes.items()))
    lines.append("share of wishes granted by when the family sent them (first, middle, last "
                 "third of the window): " + ", ".join(
                     f"{share:.1%} ({n} families)" for n, share in shares))
    return lines


# --- the allocation runs ---------------------------------------------------------------------
def replace_wishes(data, families: int, days: int) -> int:
    """Wishes of every child of the first `families` families for the first `days`
    Wednesdays, as if each had sent them; returns how many."""
    from reservations.models import Allocation, AllocationEntry, Wish

    period = data["period"]
    AllocationEntry.objects.filter(allocation__period=period).delete()  # one statement
    Allocation.objects.filter(period=period).delete()
    Wish.objects.filter(period=period).delete()
    rows = [Wish(period=period, child_id=child, slot_id=slot, family_id=family)
            for family in data["families"][:families] for child in data["children"][family]
            for slot in data["slots"][:days]]
    Wish.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def time_run(data) -> tuple[float, float, object]:
    """(run_allocation end to end s, draw.allocate alone s, the draft)."""
    from django.utils import timezone

    from reservations import draw
    from reservations.models import BookingPeriod
    from reservations.services import run_allocation

    BookingPeriod.objects.filter(pk=data["period"].pk).update(
        wishes_close_at=timezone.now() - datetime.timedelta(seconds=1))
    t0 = time.perf_counter()
    allocation = run_allocation(data["period"].pk, data["staff"])
    run = time.perf_counter() - t0
    inputs = draw.Inputs.from_data(allocation.inputs)
    secret = BookingPeriod.objects.get(pk=data["period"].pk).draw_secret
    t0 = time.perf_counter()
    draw.allocate(inputs, secret)
    return run, time.perf_counter() - t0, allocation


def measure_runs(args, data) -> list[str]:
    from reservations.models import AllocationEntry
    from reservations.services import publish_allocation

    full_families, full_days = args.families, args.wednesdays
    sizes = [(f, full_days) for f in args.families_sweep if f <= full_families]
    sizes += [(full_families, d) for d in args.days_sweep if d <= full_days
              and (full_families, d) not in sizes]
    sizes.sort(key=lambda size: size[0] * size[1])
    lines = ["", "=== The allocation run (wishes for all) ===",
             f"{'families':>8} {'days':>5} {'wishes':>8} {'granted':>8} "
             f"{'run_allocation s':>17} {'draw.allocate s':>16}"]
    last = None
    for families, days in sizes:
        wishes = replace_wishes(data, families, days)
        run, pure, allocation = time_run(data)
        granted = AllocationEntry.objects.filter(allocation=allocation,
                                                 outcome="granted").count()
        lines.append(f"{families:8} {days:5} {wishes:8} {granted:8} {run:17.2f} {pure:16.2f}")
        print(lines[-1], flush=True)
        last = (families, days, allocation)
    if last and last[:2] == (full_families, full_days):
        t0 = time.perf_counter()
        publish_allocation(last[2].pk, data["staff"])
        lines.append(f"publication of the full run (reservations, waiting lists, one letter "
                     f"per household): {time.perf_counter() - t0:.2f} s")
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    sink = stack.SMTPSink()
    env = stack.bench_env(args.db, http_port=args.port, smtp_port=sink.start_in_thread())
    stack.apply_env(env)
    processes = stack.Processes(env)
    lines = []
    try:
        print(f"database {args.db}, Redis {stack.REDIS_URL}, port {args.port}", flush=True)
        stack.create_database(args.db)
        stack.flush_redis()
        stack.migrate_and_collect(static=not args.no_http)
        data = seed(args)
        stack.analyze()
        if not args.no_http:
            processes.start_gunicorn()
            lines += measure_window(args, data, processes)
            print("\n".join(lines), flush=True)
            processes.stop()
        runs = measure_runs(args, data)
        lines += runs
        print("\n".join(runs if args.no_http else lines), flush=True)
    finally:
        processes.stop()
        sink.stop()
        from django.db import connections

        connections.close_all()
        stack.flush_redis()
        if not args.keep:
            stack.drop_database(args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
