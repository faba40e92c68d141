"""The opening-day rush, measured on this machine (see docs/performance.md).

    make bench-rush            # or: .venv/bin/python -m bench.rush --help

Seeds a dedicated PostgreSQL database, starts gunicorn (docker/gunicorn.conf.py, production
settings) and one Celery worker, measures a trivial page, then lets the parents in at the
opening: each loads his calendar and books every Wednesday of the period for his children
(the period form sent by htmx, brothers and sisters ticked; with --no-js, a plain POST per
child answered by a 303 that the browser follows back to the calendar), through at most
--connections connections, and measures the trivial page again. gunicorn is restarted
before the rush and before that second measure. Beside each trivial measure, the issue's
reference page (a minimal Django, `bench/minimal_app.py`) is measured on the same machine
through the same client: the issue's 60 s stands for 0.05 of it. Reports, checks, cleans
up.

Whether each parent got his days is read from the database afterwards (the confirmed and
waiting reservations of the period's Wednesdays, per child), never from the words of the
answers, so that the same client measures any version of the portal (bench/compare.py)."""

import argparse
import asyncio
import datetime
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict

from bench import cpu, sockets, stack
from bench.httpclient import Connection, CookieJar, now

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", type=int, default=5000)
    p.add_argument("--children", type=int, default=8000)
    p.add_argument("--guardians", type=int, default=2, help="guardians (logged in) per family")
    p.add_argument("--wednesdays", type=int, default=15)
    p.add_argument("--capacity", type=int, default=300, help="places per Wednesday")
    p.add_argument("--connections", type=int, default=500)
    p.add_argument("--trivial-seconds", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--db", default="portail_bench")
    p.add_argument("--no-js", action="store_true",
                   help="a browser without JavaScript: one plain POST per child, each answered "
                        "by a 303 that it follows back to the calendar")
    p.add_argument("--no-follow", action="store_true",
                   help="with --no-js, do not follow the 303 after a booking")
    p.add_argument("--gunicorn-args", default="",
                   help="extra gunicorn arguments, e.g. '--max-requests 0' to compare")
    p.add_argument("--history-weeks", type=int, default=8,
                   help="weeks of past canteen days every child was booked on")
    p.add_argument("--arrivals", type=rate_list, default=None, metavar="RATES",
                   help="instead of everyone at once, parents arriving at these rates, step "
                        "after step (parents per second, e.g. 40,60,80,100): the highest rate "
                        "whose requests keep p95 < 2 s")
    p.add_argument("--step-seconds", type=float, default=15.0,
                   help="with --arrivals, how long each rate lasts")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--json", metavar="FILE",
                   help="also write the run's main figures there (bench/compare.py reads them)")
    return p.parse_args(argv)


def rate_list(text: str) -> list[float]:
    try:
        found = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"rates separated by commas, not {text!r}") from None
    if not found or min(found) <= 0:
        raise argparse.ArgumentTypeError("each rate must be above 0")
    return found


# --- seeding -------------------------------------------------------------------------------
def seed(args):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench import seed as s
    from reservations.models import BookingPeriod, DeadlineRule

    rng = s.rng_for(args.seed)
    t0 = time.perf_counter()
    today = timezone.localdate()
    wednesdays, year = s.wednesdays_and_year(today, args.wednesdays)
    from inscriptions.models import Site

    site = Site.objects.create(name="École du Centre (banc d'essai)")
    validator = get_user_model().objects.create(email="agent@bench.example", is_staff=True)
    fams, users, guardians, children = s.families(args.families, args.children,
                                                  args.guardians, rng=rng)
    s.annual_files(children, year, validator)
    requested_by = {g.family_id: g.user for g in guardians}
    alsh, alsh_unit = s.activity(year, site, kind="alsh_wednesday",
                                 name="Accueil de loisirs du mercredi", days="wednesdays",
                                 weekdays=[], unit_label="Journée")
    canteen, canteen_unit = s.activity(year, site, kind="canteen",
                                       name="Restauration scolaire", days="school_days",
                                       weekdays=[0, 1, 3, 4], unit_label="Repas")
    s.enrol(children, alsh, site, requested_by)
    s.enrol(children, canteen, site, requested_by)
    for act in (alsh, canteen):
        DeadlineRule.objects.create(activity=act, kind="working_days", days=2,
                                    time=datetime.time(10, 0))
    alsh_slots = s.slots(alsh, alsh_unit, site, wednesdays, args.capacity)
    canteen_days = [w + datetime.timedelta(days=d) for w in wednesdays for d in (-2, -1, 1, 2)]
    s.slots(canteen, canteen_unit, site, canteen_days, len(children))
    past = [today - datetime.timedelta(days=d) for d in range(1, 7 * args.history_weeks + 1)]
    history = s.history(canteen, canteen_unit, site,
                        [d for d in past if d.weekday() in (0, 1, 3, 4)], len(children))
    far = timezone.now() + datetime.timedelta(days=3650)
    period = BookingPeriod.objects.create(
        activity=alsh, label="Mercredis de l'hiver", first_day=wednesdays[0],
        last_day=wednesdays[-1], opens_at=far)
    BookingPeriod.objects.create(activity=canteen, label="Cantine de l'hiver",
                                 first_day=canteen_days[0], last_day=canteen_days[-1],
                                 opens_at=timezone.now() - datetime.timedelta(days=30))
    keys = s.sessions(users)
    kids = defaultdict(list)
    for c in children:
        kids[c.family_id].append(c.pk)
    parents = [(keys[g.user_id], g.user_id, kids[g.family_id]) for g in guardians]
    rng.shuffle(parents)
    print(f"seeded in {time.perf_counter() - t0:.1f} s: {len(fams)} families, {len(users)} "
          f"logged-in guardians, {len(children)} children, {len(alsh_slots)} Wednesdays of "
          f"{args.capacity} places, {len(canteen_days)} canteen days, {history:,} past "
          "reservations", flush=True)
    return {"parents": parents, "period": period, "unit": alsh_unit.pk,
            "month": f"{wednesdays[0]:%Y-%m}", "alsh": alsh}


# --- load ----------------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.latency = defaultdict(list)     # kind -> seconds
        self.sent = defaultdict(list)        # kind -> when each of those was sent
        self.outcomes = defaultdict(Counter)  # kind -> status or error name
        self.posts = {}                      # (child, user) -> (sent, received)
        self.bookings = []                   # (sent, user, children) of each booking answered
        self.connections_per_worker = []     # sampled once during the rush, most first
        # --arrivals: (step, seconds waited for a free connection, the parent's requests'
        # times, the first counted from his arrival) for each parent
        self.visits = []

    async def call(self, conn, kind, method, path, jar, *, start=None, into=None, **kw):
        """`start`: when the parent asked (he may have waited for a free connection since),
        by default now; `into`: a list that also gets the request's time."""
        start = now() if start is None else start
        try:
            response = await conn.request(method, path, jar, **kw)
        except TimeoutError:
            self.outcomes[kind]["timeout"] += 1
            return None, start
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.outcomes[kind][type(error).__name__] += 1
            return None, start
        took = now() - start
        self.latency[kind].append(took)
        if into is not None:
            into.append(took)
        self.sent[kind].append(start)
        self.outcomes[kind][response.status] += 1
        return response, start


HTMX_HEADERS = {"HX-Request": "true", "HX-Current-URL": "/reservations/"}


def answered(response) -> float:
    """When the parent had his answer; never, for a request the client gave up on (the
    server may still book it later, so it cannot count as served before later requests)."""
    return now() if response is not None else float("inf")


def headers_for(port):
    origin = f"https://{stack.HOST}:{port}"
    return {"X-Forwarded-Proto": "https", "Origin": origin, "Referer": origin + "/reservations/",
            "User-Agent": "portail-bench", "Accept": "text/html"}


async def trivial(args, rec: Recorder, seconds: float, *, port: int | None = None,
                  path: str = "/sante/", sessions=()) -> float:
    """Requests per second of `path` (by default /sante/: one SELECT 1, a JSON answer)
    through the server on `port` (by default the portal's, `args.port`), through
    `args.connections` connections; with `sessions`, each connection is a logged-in parent."""
    port = port or args.port
    stop = now() + seconds
    count = 0

    async def worker(i):
        nonlocal count
        conn = Connection(stack.HOST, port, headers_for(port), args.timeout)
        jar = CookieJar(sessionid=sessions[i % len(sessions)]) if sessions else CookieJar()
        while now() < stop:
            response, _ = await rec.call(conn, "trivial", "GET", path, jar)
            if response is not None and response.status == 200:
                count += 1
        await conn.close()

    start = now()
    await asyncio.gather(*(worker(i) for i in range(args.connections)))
    return count / (now() - start)


def measure_reference(args, port: int) -> float:
    """The issue's reference page (`bench/minimal_app.py`) through the same client."""
    return asyncio.run(trivial(args, Recorder(), args.trivial_seconds, port=port))


def fresh_workers(args, processes: stack.Processes) -> None:
    processes.restart_gunicorn(args.port)
    asyncio.run(trivial(args, Recorder(), 2.0))  # the same warm-up as the first workers


def measure_trivial(args, rec: Recorder) -> tuple[float, float, Counter]:
    """(req/s, seconds measured, CPU seconds per kind of process meanwhile)."""
    before = cpu.snapshot()
    start = now()
    rps = asyncio.run(trivial(args, rec, args.trivial_seconds))
    seconds = now() - start
    return rps, seconds, cpu.spent(before, cpu.snapshot())


async def visit(args, data, rec: Recorder, conn, parent, arrived: float | None = None,
                times: list | None = None) -> bool:
    """One parent at the opening: his calendar, then his booking. `arrived`: when he asked
    for the calendar, if he then waited for a free connection; `times`: gets the times of
    his requests."""
    session_key, user_id, children = parent
    period, unit, month = data["period"].pk, data["unit"], data["month"]
    jar = CookieJar(sessionid=session_key)
    response, _ = await rec.call(conn, "calendar", "GET", f"/reservations/?enfant={children[0]}",
                                 jar, start=arrived, into=times)
    if response is None or response.status != 200:
        return False
    token = CSRF_FIELD.search(response.body)
    if token is None or "csrftoken" not in jar:
        rec.outcomes["calendar"]["no csrf form"] += 1
        return False
    if not args.no_js:  # htmx: one POST for all the children, a fragment in return
        form = {"csrfmiddlewaretoken": token[1].decode(), "child": children[0],
                "period": period, "mois": month, "unit": unit, "weekday": 2,
                "waiting_list": "1", "children": children[1:], "confirm": "1"}
        response, sent = await rec.call(conn, "book_period", "POST",
                                        "/reservations/reserver-periode/", jar, form=form,
                                        headers=HTMX_HEADERS, into=times)
        for child in children:
            rec.posts[(child, user_id)] = (sent, answered(response))
        if response is not None and response.status == 200:
            rec.bookings.append((sent, user_id, children))
        return response is not None and response.status == 200
    ok = True
    for child in children:
        form = {"csrfmiddlewaretoken": token[1].decode(), "child": child, "period": period,
                "mois": month, "unit": unit, "weekday": 2, "waiting_list": "1",
                "confirm": "1"}
        response, sent = await rec.call(conn, "book_period", "POST",
                                        "/reservations/reserver-periode/", jar, form=form,
                                        into=times)
        rec.posts[(child, user_id)] = (sent, answered(response))
        if response is None or response.status != 303:
            ok = False
            continue
        rec.bookings.append((sent, user_id, [child]))
        if not args.no_follow:
            location = response.header("location") or "/reservations/"
            response, _ = await rec.call(conn, "calendar_after_booking", "GET", location, jar,
                                         into=times)
            ok = ok and response is not None and response.status == 200
            if response is not None:
                token = CSRF_FIELD.search(response.body) or token
    return ok


async def sample_connections(args, rec: Recorder, busy) -> None:
    # Ten seconds in: every client has connected, and no worker has been recycled yet.
    await asyncio.sleep(10.0)
    if busy():
        held = await asyncio.to_thread(sockets.connections_by_process, args.port)
        rec.connections_per_worker = sorted(held.values(), reverse=True)


async def rush(args, data, rec: Recorder, opening: float):
    """Everyone at the opening: each of --connections clients takes the next parent as soon
    as it is done with one (a closed loop, always busy)."""
    queue = asyncio.Queue()
    for parent in data["parents"]:
        queue.put_nowait(parent)
    served, failed, finished = [0], [0], []

    async def worker():
        conn = Connection(stack.HOST, args.port, headers_for(args.port), args.timeout)
        while not queue.empty():
            if await visit(args, data, rec, conn, queue.get_nowait()):
                served[0] += 1
            else:
                failed[0] += 1
            finished.append(now() - opening)
        await conn.close()

    await asyncio.sleep(max(0.0, opening - now()))
    sampler = asyncio.create_task(sample_connections(args, rec, lambda: not queue.empty()))
    await asyncio.gather(*(worker() for _ in range(args.connections)))
    sampler.cancel()
    return served[0], failed[0], finished


def arrival_plan(rates: list[float], step_seconds: float, parents: int,
                 seed: int) -> list[tuple]:
    """(seconds after the opening, step) of each parent's arrival, step after step, as long
    as there are parents. Arrivals are random at each step's mean rate (a Poisson process):
    parents do not come evenly spaced, and a burst is what makes a queue."""
    rng = random.Random(seed)
    plan = []
    for step, rate in enumerate(rates):
        at, end = step * step_seconds, (step + 1) * step_seconds
        while (at := at + rng.expovariate(rate)) < end:
            plan.append((at, step))
    return plan[:parents]


async def rush_arrivals(args, data, rec: Recorder, opening: float):
    """Parents arrive at set rates, rising step by step (an open loop): a parent who finds
    every one of the --connections connections busy waits for one, and that wait counts in
    his calendar's time. What a server can take with p95 < 2 s is the highest step whose
    parents kept it."""
    idle: asyncio.Queue = asyncio.Queue()
    for _ in range(args.connections):
        idle.put_nowait(Connection(stack.HOST, args.port, headers_for(args.port),
                                   args.timeout))
    served, failed, finished, tasks = [0], [0], [], []

    async def parent_arrives(parent, step, arrived):
        conn = await idle.get()
        waited, times = now() - arrived, []
        try:
            ok = await visit(args, data, rec, conn, parent, arrived=arrived, times=times)
        finally:
            idle.put_nowait(conn)
        rec.visits.append((step, waited, times))
        served[0] += ok
        failed[0] += not ok
        finished.append(now() - opening)

    plan = arrival_plan(args.arrivals, args.step_seconds, len(data["parents"]), args.seed)
    sampler = asyncio.create_task(sample_connections(args, rec, lambda: len(tasks) < len(plan)))
    for parent, (offset, step) in zip(data["parents"], plan, strict=False):
        await asyncio.sleep(max(0.0, opening + offset - now()))
        tasks.append(asyncio.create_task(parent_arrives(parent, step, opening + offset)))
    await asyncio.gather(*tasks)
    sampler.cancel()
    while not idle.empty():
        await idle.get_nowait().close()
    return served[0], failed[0], finished


# --- checks --------------------------------------------------------------------------------
def drain_outbox(limit: float = 300.0) -> tuple[int, float]:
    """Wait until the worker has sent every e-mail of the rush (it runs at a lower priority,
    so most leave after the parents are served): (still pending, seconds waited). The
    booking summaries are written first, here, as beat writes them once the families have
    been quiet for the commune's minutes (docs/reservations.md): the rush only records
    their lines."""
    from django.utils import timezone

    from ground.models import OutboxMessage
    from reservations.services import summaries

    start = now()
    summaries.send_due(now=timezone.now() + summaries.quiet_time())
    while True:
        pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count()
        if pending == 0 or now() - start > limit:
            return pending, now() - start
        time.sleep(0.5)


def check_slots(data, rec: Recorder) -> dict:
    """What the database holds after the rush: places per Wednesday, each child's days, and
    the arrival order."""
    from django.db.models import Count, Q

    from reservations.models import Reservation, Slot

    rows = []
    for slot in Slot.objects.filter(activity=data["alsh"]).annotate(
            confirmed=Count("reservations", filter=Q(reservations__state="confirmed")),
            waiting=Count("reservations", filter=Q(reservations__state="waiting"))
    ).order_by("date"):
        rows.append((slot.date, slot.capacity, slot.booked, slot.confirmed, slot.waiting))
    # Arrival order. A request whose answer came back before another was even sent arrived
    # first, without doubt: it must not be behind it (confirmed before waiting, and on the
    # waiting list). Overlapping requests may be served in either order.
    late_confirmed = out_of_order = checked = 0
    for slot in Slot.objects.filter(activity=data["alsh"]):
        reservations = list(Reservation.objects.filter(slot=slot).exclude(
            state="cancelled").order_by("waiting_ticket", "pk").values_list(
            "child_id", "updated_by_id", "state"))
        times = [(rec.posts.get((c, u)), state) for c, u, state in reservations]
        times = [(t, state) for t, state in times if t is not None]
        waiting = [t for t, state in times if state == "waiting"]
        if waiting:
            first_answer = min(received for _sent, received in waiting)
            late_confirmed += sum(1 for t, state in times
                                  if state == "confirmed" and t[0] > first_answer)
        latest_send = float("-inf")
        for sent, received in waiting:
            checked += 1
            if latest_send > received:
                out_of_order += 1
            latest_send = max(latest_send, sent)
    return {"rows": rows, "late_confirmed": late_confirmed, "out_of_order": out_of_order,
            "waiting_checked": checked, **bookings_from_database(data["alsh"], rec)}


def bookings_from_database(activity, rec: Recorder) -> dict:
    """Each child's days of the activity's slots, counted in the database: `asked` children
    (those a booking was sent for), `short` (asked, without every Wednesday confirmed or on
    the waiting list), `confirmed` and `waiting` in all; and `new_days`: (sent, the booking
    was the one that asked for at least one of the child's days) of each booking answered,
    the reservation keeping who asked (the other guardian mostly finds them all asked)."""
    from django.db.models import Count, Q

    from reservations.models import Reservation, Slot

    days = Slot.objects.filter(activity=activity).count()
    live = Reservation.objects.filter(slot__activity=activity,
                                      state__in=("confirmed", "waiting"))
    per_child = {row["child_id"]: row for row in live.values("child_id").annotate(
        confirmed=Count("pk", filter=Q(state="confirmed")),
        waiting=Count("pk", filter=Q(state="waiting")))}
    asked = {child for child, _user in rec.posts}
    short = sum(1 for child in asked if child not in per_child
                or per_child[child]["confirmed"] + per_child[child]["waiting"] != days)
    askers = set(live.values_list("child_id", "updated_by_id").distinct())
    new_days = [(sent, any((child, user) in askers for child in children))
                for sent, user, children in rec.bookings]
    return {"days": days, "asked": len(asked), "short": short, "new_days": new_days,
            "confirmed": sum(row["confirmed"] for row in per_child.values()),
            "waiting": sum(row["waiting"] for row in per_child.values())}


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def over_time(rec: Recorder, new_days=(), parts: int = 5) -> list[str]:
    """The rush's requests by when they were sent, in equal parts of its duration: whether
    the slow ones were slow all along or at one moment; `new_days`: (sent, whether the
    booking asked for a new day) of each booking (bookings_from_database)."""
    sent = [(at, took) for kind in rec.latency if kind != "trivial"
            for at, took in zip(rec.sent[kind], rec.latency[kind], strict=True)]
    if not sent:
        return []
    first, last = min(at for at, _ in sent), max(at for at, _ in sent)
    cells = ", ".join(f"{pct(g, .5):.1f} / {pct(g, .95):.1f}" if g else "-"
                      for g in in_parts(sent, first, last, parts))
    lines = [f"rush requests in {parts} parts of the rush, by when sent (p50 / p95 s): {cells}"]
    if new_days:  # a booking that only finds days already asked costs less
        shares = ", ".join(f"{100 * sum(g) / len(g):.0f} %" if g else "-"
                           for g in in_parts(new_days, first, last, parts))
        lines.append(f"bookings that asked for at least one new day, in the same parts: "
                     f"{shares}")
    return lines


def in_parts(pairs, first: float, last: float, parts: int) -> list[list]:
    """The values of (when sent, value) pairs, in equal parts of [first, last]."""
    width = (last - first) / parts or 1.0
    groups = [[] for _ in range(parts)]
    for at, value in pairs:
        groups[max(0, min(parts - 1, int((at - first) / width)))].append(value)
    return groups


def by_step(args, rec: Recorder) -> tuple[list[str], float]:
    """--arrivals: each step's parents' request times (the calendar's counted from the
    arrival), and the highest rate up to which every step kept p95 < 2 s (0 if none)."""
    lines = ["", f"{'parents/s asked':>16} {'parents':>8} {'p50 s':>7} {'p95 s':>7} "
             f"{'p99 s':>7} {'waited for a connection, p95 / max s':>38}"]
    kept, broken = 0.0, False
    for step, rate in enumerate(args.arrivals):
        visits = [(waited, times) for at, waited, times in rec.visits if at == step]
        times = [t for _waited, some in visits for t in some]
        waits = [waited for waited, _times in visits]
        if not visits:
            break
        lines.append(f"{rate:16g} {len(visits):8} {pct(times, .5):7.2f} {pct(times, .95):7.2f}"
                     f" {pct(times, .99):7.2f} {pct(waits, .95):30.2f} / {max(waits):.2f}")
        broken = broken or pct(times, .95) >= 2
        if not broken:  # this step and every one before it
            kept = rate
    return lines, kept


def busy_share(spent: Counter, seconds: float, only: str = "") -> float:
    """The share of the machine's cores that processes (of one kind, `only`) kept busy."""
    total = sum(v for k, v in spent.items() if not only or k == only)
    return total / (seconds * (os.cpu_count() or 1))


def report(args, data, rec, trivial_pair, reference, served, failed, finished, checks, sink,
           elapsed, cpu_rush, drained, sessions):
    """`trivial_pair`: the trivial page's measures before and after the rush (req/s, seconds,
    CPU by kind of process); `reference`: the issue's reference page's, req/s."""
    parents = served + failed  # every parent of the rush, or those --arrivals let in
    duration = max(finished) if finished else float("nan")
    pps = parents / duration if finished else 0.0
    trivial_rps = sum(rps for rps, _, _ in trivial_pair) / 2
    ratio = pps / trivial_rps if trivial_rps else float("nan")
    reference_rps = sum(reference) / len(reference)
    reference_ratio = pps / reference_rps if reference_rps else float("nan")
    each = " and ".join(f"{pps / rps:.3f}" if rps else "nan" for rps, _, _ in trivial_pair)
    rush_requests = sum(len(v) for k, v in rec.latency.items() if k != "trivial")
    throughput = [
        f"all parents done in {duration:.1f} s -> {pps:,.1f} parents/s; "
        f"ratio parents/s / trivial req/s = {ratio:.3f} (target >= 0.05; "
        f"{each} against each measure alone)",
        f"ratio parents/s / the issue's reference page = {reference_ratio:.3f} (target 0.05, "
        f"that is {0.05 * reference_rps:,.0f} parents/s here: 10,000 parents in "
        f"{10000 / (0.05 * reference_rps):.0f} s)" if reference_rps else "",
        f"requests during the rush: {rush_requests:,} ({elapsed:.1f} s of rush); with "
        f"{args.connections} connections always busy, a request's mean time is "
        f"{args.connections * duration / rush_requests:.1f} s whatever the order served "
        f"(Little's law)" if rush_requests else "no request during the rush"]
    lines = ["", "=== Opening-day rush ===",
             f"machine: {os.cpu_count()} CPU(s), {cpu_model()}",
             f"parents: {parents} ({served} served, {failed} with an error), "
             f"{args.connections} connections",
             f"trivial page /sante/: {trivial_pair[0][0]:,.0f} req/s before the rush, "
             f"{trivial_pair[1][0]:,.0f} after, mean {trivial_rps:,.0f}",
             f"the issue's reference page (bench/minimal_app.py, gunicorn gthread 2 x 4): "
             f"{reference[0]:,.0f} req/s before, {reference[-1]:,.0f} after, "
             f"{reference_rps / stack.ISSUE_REFERENCE_RATE:.2f} x the issue's "
             f"{stack.ISSUE_REFERENCE_RATE:,} (its targets were set on a machine that fast)",
             *(f"  {when}: the cores {busy_share(spent, seconds):.0%} busy: the web "
               f"{busy_share(spent, seconds, only=cpu.WEB):.0%}, the load generator "
               f"{busy_share(spent, seconds, only=cpu.LOAD):.0%}, PostgreSQL "
               f"{busy_share(spent, seconds, only=cpu.POSTGRES):.0%}"
               for when, (_, seconds, spent) in zip(("before", "after"), trivial_pair,
                                                     strict=True)),
             *(throughput if not args.arrivals else [
                 f"parents arriving at {', '.join(f'{r:g}' for r in args.arrivals)} per "
                 f"second, {args.step_seconds:g} s each, all done {duration:.1f} s after the "
                 "opening"]),
             "connections held by each web worker 10 s into the rush: "
             + (", ".join(map(str, rec.connections_per_worker)) or "not sampled"),
             "", f"{'kind':24} {'count':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
             f"{'max ms':>8}"]
    p95_all = []
    for kind, values in rec.latency.items():
        lines.append(f"{kind:24} {len(values):8} {pct(values, .5) * 1000:8.0f} "
                     f"{pct(values, .95) * 1000:8.0f} {pct(values, .99) * 1000:8.0f} "
                     f"{max(values) * 1000:8.0f}")
        if kind != "trivial":
            p95_all.append(pct(values, .95))
    if args.arrivals:
        steps, kept = by_step(args, rec)
        lines.extend(steps)
    else:
        lines.extend(over_time(rec, checks["new_days"]))
    lines.append("")
    lines.append(f"CPU during the rush ({elapsed:.1f} s x {os.cpu_count()} cores = "
                 f"{elapsed * (os.cpu_count() or 1):.0f} core-seconds), per parent:")
    by_kind = Counter()
    for (kind, _pid), seconds in cpu_rush.items():
        by_kind[kind] += seconds
    for kind, seconds in by_kind.most_common():
        lines.append(f"  {kind:32} {seconds:7.1f} s  {seconds / parents * 1000:6.1f} ms")
    workers = sorted((seconds for (kind, _pid), seconds in cpu_rush.items()
                      if kind == cpu.WEB and seconds >= 1.0), reverse=True)
    lines.append("  of which each web worker (s): " + ", ".join(f"{s:.1f}" for s in workers))
    lines.append(f"PostgreSQL connections opened during the rush: {sessions} (each one a new "
                 f"server process: pools should keep this near zero)")
    lines.append("")
    lines.append("answers by kind: " + "; ".join(
        f"{kind}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items(), key=str))
        for kind, c in rec.outcomes.items()))
    five = sum(v for c in rec.outcomes.values() for k, v in c.items()
               if isinstance(k, int) and k >= 500)
    errors = sum(v for c in rec.outcomes.values() for k, v in c.items()
                 if not isinstance(k, int) or k >= 400)
    lines.append("")
    lines.append(f"{'Wednesday':12} {'places':>6} {'booked':>6} {'confirmed':>9} {'waiting':>8}"
                 f" {'over':>5}")
    over = 0
    for day, capacity, booked, confirmed, waiting in checks["rows"]:
        over += max(0, confirmed - capacity)
        flag = "" if booked == confirmed else "  booked != confirmed!"
        lines.append(f"{day:%Y-%m-%d}   {capacity:6} {booked:6} {confirmed:9} {waiting:8} "
                     f"{max(0, confirmed - capacity):5}{flag}")
    lines.append(f"confirmed after a waiting answer had already been given: "
                 f"{checks['late_confirmed']}; waiting-list entries behind a request answered "
                 f"before they were sent: {checks['out_of_order']} of {checks['waiting_checked']}")
    lines.append(f"in the database: {checks['confirmed']:,} confirmed and {checks['waiting']:,} "
                 f"waiting reservations of the {checks['days']} Wednesdays; children booked "
                 f"for: {checks['asked']:,}, of whom {checks['short']} without every "
                 "Wednesday confirmed or waiting")
    pending, waited = drained
    lines.append(f"e-mails received by the SMTP sink: {sink.messages}, the last one {waited:.0f} s "
                 f"after the last parent's answer; still pending in the outbox: {pending}")
    throughput_verdict = {
        "all served within 60 s": finished and duration <= 60 and failed == 0,
        # The issue's own trivial page: what its "within 60 s" stands for on this machine.
        "ratio >= 0.05 against the issue's reference page": reference_ratio >= 0.05,
        # The portal's /sante/ costs 2-3 times as much per request: the easier reading, and
        # the stricter form of it, should the machine's speed have moved between the measures.
        "ratio >= 0.05 against /sante/ (mean of the two measures)": ratio >= 0.05,
        "ratio >= 0.05 against /sante/ (each measure alone)": all(
            rps and pps / rps >= 0.05 for rps, _, _ in trivial_pair),
        "p95 < 2 s (every kind)": bool(p95_all) and max(p95_all) < 2,
    }
    verdict = {
        # With --arrivals the bench set the pace: no throughput to judge.
        **({} if args.arrivals else throughput_verdict),
        "no 5xx": five == 0,
        "no error at all": errors == 0,
        "every child booked for has every Wednesday, confirmed or waiting (database)":
            checks["short"] == 0,
        "no overbooking": over == 0,
        "arrival order kept": checks["late_confirmed"] == 0 and checks["out_of_order"] == 0,
    }
    lines.append("")
    lines.extend(f"[{'PASS' if ok else 'MISS'}] {name}" for name, ok in verdict.items())
    if args.arrivals:
        lines.append(f"[INFO] p95 < 2 s for every step up to {kept:g} parents/s arriving"
                     if kept else "[INFO] p95 >= 2 s from the first step")
    print("\n".join(lines), flush=True)
    figures = {"parents": parents, "parents_per_s": pps, "reference_rps": reference_rps,
               "reference_ratio": reference_ratio, "trivial_rps": trivial_rps,
               "p95_s": max(p95_all) if p95_all else None, "errors": errors,
               "short_children": checks["short"], "overbooking": over,
               "order_broken": checks["late_confirmed"] + checks["out_of_order"]}
    return verdict["no overbooking"], figures


def database_sessions() -> int:
    """Connections ever opened to this database (PostgreSQL's own count)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name")), "?")
    except OSError:
        return "?"


def main(argv=None) -> int:
    args = parse_args(argv)
    sink = stack.SMTPSink()
    smtp_port = sink.start_in_thread()
    env = stack.bench_env(args.db, http_port=args.port, smtp_port=smtp_port)
    stack.apply_env(env)
    processes = stack.Processes(env)
    ok = False
    try:
        print(f"database {args.db}, Redis {stack.REDIS_URL}, port {args.port}", flush=True)
        stack.create_database(args.db)
        stack.flush_redis()
        t = time.perf_counter()
        stack.migrate_and_collect(static=True)
        print(f"migrated and collected static files in {time.perf_counter() - t:.1f} s",
              flush=True)
        data = seed(args)
        stack.analyze()
        processes.start_gunicorn(args.gunicorn_args.split())
        processes.start_worker()
        reference_port = args.port + 1
        processes.start_reference(reference_port)
        processes.wait_http(args.port)
        processes.wait_http(reference_port)
        asyncio.run(trivial(args, Recorder(), 2.0))  # warm-up: imports, pools, template caches
        asyncio.run(trivial(args, Recorder(), 2.0, port=reference_port))
        rec = Recorder()  # the report shows this measure's latencies with the rush's
        trivial_before = measure_trivial(args, rec)
        reference = [measure_reference(args, reference_port)]
        print(f"trivial page: {trivial_before[0]:,.0f} req/s; the issue's reference page: "
              f"{reference[0]:,.0f} req/s", flush=True)
        # Each phase on fresh workers: otherwise the requests of the phases before it bring
        # the workers to gunicorn's `max_requests` during the next one, and their
        # replacement is measured with it (the trivial page after the rush measured 20-30 %
        # below the one before with recycling on, 6 % with `--max-requests 0`).
        fresh_workers(args, processes)
        # The opening, a few seconds from now; parents come in at that instant.
        from django.utils import timezone

        opens_at = timezone.now() + datetime.timedelta(seconds=3)
        data["period"].opens_at = opens_at
        data["period"].save(update_fields=["opens_at"])
        opening = now() + (opens_at - timezone.now()).total_seconds() + 0.05
        sink.messages = 0
        start = now()
        sessions_before = database_sessions()
        cpu_before = cpu.by_process()
        run = rush_arrivals if args.arrivals else rush
        served, failed, finished = asyncio.run(run(args, data, rec, opening))
        elapsed = now() - max(start, opening)
        cpu_rush = cpu.spent(cpu_before, cpu.by_process())
        sessions = database_sessions() - sessions_before
        drained = drain_outbox()
        # Again after the rush: this machine's speed drifts by tens of per cent within minutes,
        # and the ratio is judged against the mean of the two measures. The rush's 120,000
        # rows would set autovacuum and a checkpoint going during this measure only: the same
        # VACUUM and CHECKPOINT as after the seeding first, so that both find a quiet
        # database (the report prints what else kept the cores busy meanwhile).
        stack.analyze()
        fresh_workers(args, processes)
        trivial_after = measure_trivial(args, Recorder())
        reference.append(measure_reference(args, reference_port))
        checks = check_slots(data, rec)
        ok, figures = report(args, data, rec, (trivial_before, trivial_after), reference,
                             served, failed, finished, checks, sink, elapsed, cpu_rush,
                             drained, sessions)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f)
    finally:
        processes.stop()
        sink.stop()
        from django.db import connections

        connections.close_all()
        stack.flush_redis()
        if not args.keep:
            stack.drop_database(args.db)
        print(f"stopped gunicorn and the worker; database {args.db} "
              f"{'kept' if args.keep else 'dropped'}; logs in {stack.WORK_DIR}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
