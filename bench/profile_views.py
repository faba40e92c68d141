"""Where a rush request's time goes, in one process (no HTTP, no concurrency).

    .venv/bin/python -m bench.rush --keep      # leaves the portail_bench database
    .venv/bin/python -m bench.profile_views    # then this, against it

Times the calendar page and the period booking through Django's test client (the whole
middleware stack, production settings) against the booking service alone, and counts the
SQL queries of each. Books canteen Mondays (an open period with free places), so that the
timed bookings really insert."""

import argparse
import os
import statistics
import sys
import time

from bench import stack


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", default="portail_bench")
    p.add_argument("--samples", type=int, default=20)
    args = p.parse_args(argv)
    stack.apply_env(stack.bench_env(args.db, http_port=0, smtp_port=25))
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from familles.models import Guardian
    from reservations import services
    from reservations.calendar import child_month, first_month_with_slots, period_days_for
    from reservations.models import BookingPeriod, Reservation

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    guardians = list(Guardian.objects.select_related("user", "family").order_by("pk")[
        :args.samples * 2:2])
    canteen = BookingPeriod.objects.get(activity__kind="canteen")
    unit = canteen.activity.units.get()

    def timed(label, fn, items):
        """Wall time and this process's CPU time (PostgreSQL's own work is not in the
        latter), medians, and the number of queries."""
        times, cpus, queries = [], [], []
        for item in items:
            with CaptureQueriesContext(connection) as ctx:
                t, c = time.perf_counter(), time.process_time()
                fn(item)
                times.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
            queries.append(len(ctx.captured_queries))
        print(f"{label:52} median {statistics.median(times) * 1000:7.1f} ms "
              f"(CPU {statistics.median(cpus) * 1000:5.1f} ms), "
              f"queries {min(queries)}–{max(queries)}", flush=True)

    def client_for(guardian):
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        client.force_login(guardian.user)
        return client

    clients = {g.pk: client_for(g) for g in guardians}
    for client in clients.values():  # each client builds its middleware (WhiteNoise scans
        client.get("/sante/", secure=True)  # the static files) at its first request

    def calendar(g):
        child = g.family.children.order_by("pk").first()
        response = clients[g.pk].get(f"/reservations/?enfant={child.pk}", secure=True)
        assert response.status_code == 200, response.status_code

    def view_book(g):
        child = g.family.children.order_by("pk").first()
        response = clients[g.pk].post("/reservations/reserver-periode/", {
            "child": child.pk, "period": canteen.pk, "unit": unit.pk, "weekday": 0,
            "waiting_list": "1", "confirm": "1"}, secure=True)
        assert response.status_code == 303, response.status_code

    def period_slots(child):
        plan = period_days_for([child], canteen, unit, 1, timezone.localdate())[child.pk]
        return [slot.pk for slot in plan.slots]

    def service_book(g):
        child = g.family.children.order_by("pk").last()
        services.book(g.family, child.pk, period_slots(child), g.user, join_waiting_list=True)

    def service_book_already(g):
        child = g.family.children.order_by("pk").last()
        services.book(g.family, child.pk, period_slots(child), g.user, join_waiting_list=True)

    def orm_against_sql(g):
        """CPU of the calendar's reads through the ORM, then of the very same SQL sent again
        through a plain cursor: what Django's building, compiling and model-making cost."""
        child = g.family.children.order_by("pk").first()
        now = timezone.now()
        first = first_month_with_slots(child, timezone.localdate(now))
        with CaptureQueriesContext(connection) as ctx:
            start = time.process_time()
            child_month(child, first, now)
            through_orm = time.process_time() - start
        start = time.process_time()
        with connection.cursor() as cursor:
            for query in ctx.captured_queries:
                cursor.execute(query["sql"])
                cursor.fetchall()
        return through_orm, time.process_time() - start, len(ctx.captured_queries)

    calendar(guardians[0])  # warm-up
    timed("GET calendar (view, whole middleware stack)", calendar, guardians)
    timed("POST reserver-periode, 15 Mondays (view)", view_book, guardians)
    timed("services.book, 15 Tuesdays (service only)", service_book, guardians)
    timed("services.book again (all 'already')", service_book_already, guardians)
    Reservation.objects.filter(slot__activity=canteen.activity,  # not the seeded past days
                               slot__date__gte=canteen.first_day).delete()
    runs = [orm_against_sql(g) for g in guardians]
    print(f"calendar reads (child_month, {runs[0][2]} queries): CPU through the ORM, with the "
          f"day objects, median {statistics.median(r[0] for r in runs) * 1000:.1f} ms; the "
          f"same SQL through a plain cursor {statistics.median(r[1] for r in runs) * 1000:.1f} "
          "ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
