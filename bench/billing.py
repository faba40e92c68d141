"""Monthly billing for a whole commune, timed (see docs/performance.md).

    make bench-billing          # or: .venv/bin/python -m bench.billing --help

Seeds a dedicated PostgreSQL database with FAMILIES families, their children, the Wednesday
centre and the canteen, a month of confirmed reservations and QF tariffs, then times
`prepare_run` and `issue_run` in this process under the production settings. Issuing queues
one PDF task and one e-mail per family to Redis (its own db, flushed; no worker runs), so no
PDF is rendered during the timing; the median time of one invoice PDF is measured after."""

import argparse
import datetime
import statistics
import sys
import time

from bench import stack


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", type=int, default=5000)
    p.add_argument("--children", type=int, default=8000)
    p.add_argument("--pdfs", type=int, default=20, help="invoices rendered for the PDF median")
    p.add_argument("--db", default="portail_bench_billing")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--seed", type=int, default=2026)
    return p.parse_args(argv)


def seed(args):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench import seed as s
    from facturation.models import Tariff, TariffBracket
    from familles.models import Family
    from inscriptions.models import FamilyQuotient, Site
    from reservations.models import Reservation

    rng = s.rng_for(args.seed)
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    year = s.school_year_for(month)
    staff = get_user_model().objects.create(email="agent@bench.example", is_staff=True)
    site = Site.objects.create(name="École du Centre (banc d'essai)")
    fams, _users, guardians, children = s.families(args.families, args.children, 2, rng=rng)
    # A tenth of the families live outside the commune (the other price).
    Family.objects.filter(pk__in=[f.pk for f in fams[::10]]).update(postal_code="29000")
    s.annual_files(children, year, staff)
    requested_by = {g.family_id: g.user for g in guardians}
    alsh, alsh_unit = s.activity(year, site, kind="alsh_wednesday", name="Mercredis",
                                 days="wednesdays", weekdays=[], unit_label="Journée")
    canteen, canteen_unit = s.activity(year, site, kind="canteen", name="Cantine",
                                       days="school_days", weekdays=[0, 1, 3, 4],
                                       unit_label="Repas")
    s.enrol(children, alsh, site, requested_by)
    s.enrol(children, canteen, site, requested_by)
    first = month
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    wednesdays = [d for d in days if d.weekday() == 2]
    school_days = [d for d in days if d.weekday() in (0, 1, 3, 4)]
    slots = (s.slots(alsh, alsh_unit, site, wednesdays, len(children))
             + s.slots(canteen, canteen_unit, site, school_days, len(children)))
    for unit, price, reduction in ((alsh_unit, 1800, 10), (canteen_unit, 420, 0)):
        tariff = Tariff.objects.create(unit=unit, valid_from=year.start_date,
                                       sibling_reduction_percent=reduction)
        TariffBracket.objects.bulk_create([
            TariffBracket(tariff=tariff, qf_max=bound, price_cents=price * k // 4,
                          outside_price_cents=price * 3 // 2)
            for bound, k in ((600, 1), (1000, 2), (1500, 3), (None, 4))])
    FamilyQuotient.objects.bulk_create(
        [FamilyQuotient(family=f, value=rng.randint(300, 2500), valid_from=year.start_date,
                        valid_until=year.end_date, set_by=staff)
         for f in fams if rng.random() < 0.8], batch_size=s.BATCH)
    now = timezone.now()
    # Every child on every Wednesday and nine canteen days in ten.
    rows = [Reservation(child=c, slot=slot, family_id=c.family_id, state="confirmed",
                        confirmed_at=now)
            for slot in slots for c in children
            if slot.activity_id == alsh.pk or rng.random() < 0.9]
    Reservation.objects.bulk_create(rows, batch_size=5000)
    return month, staff, len(rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = stack.bench_env(args.db, http_port=0, smtp_port=25,
                          redis_url=stack.BILLING_REDIS_URL)
    stack.apply_env(env)
    ok = False
    try:
        stack.create_database(args.db)
        stack.flush_redis(stack.BILLING_REDIS_URL)
        stack.migrate_and_collect(static=False)
        t = time.perf_counter()
        month, staff, reservations = seed(args)
        stack.analyze()
        print(f"seeded in {time.perf_counter() - t:.1f} s: {args.families} families, "
              f"{args.children} children, {reservations:,} reservations in {month:%m/%Y}",
              flush=True)
        from facturation.models import Invoice, InvoiceLine
        from facturation.pdf import render_invoice_pdf_bytes
        from facturation.services import billing

        t = time.perf_counter()
        run = billing.prepare_run(month, staff)
        prepared = time.perf_counter() - t
        t = time.perf_counter()
        billing.issue_run(run.pk, staff)
        issued = time.perf_counter() - t
        invoices = Invoice.objects.filter(run=run, state="issued")
        count = invoices.count()
        lines = InvoiceLine.objects.filter(invoice__run=run).count()
        pdf_times = []
        for invoice in invoices.order_by("number")[:args.pdfs]:
            t = time.perf_counter()
            pdf = render_invoice_pdf_bytes(invoice)
            pdf_times.append(time.perf_counter() - t)
            assert pdf.startswith(b"%PDF")
        total = prepared + issued
        median = statistics.median(pdf_times) if pdf_times else float("nan")
        print("\n".join([
            "", "=== Monthly billing ===",
            f"invoices issued: {count:,} ({lines:,} lines) for {args.families:,} families",
            f"prepare_run: {prepared:.1f} s; issue_run: {issued:.1f} s (PDF tasks and "
            f"e-mails queued, not rendered); total {total:.1f} s",
            f"one invoice PDF (WeasyPrint), median of {len(pdf_times)}: "
            f"{median * 1000:.0f} ms (min {min(pdf_times) * 1000:.0f}, "
            f"max {max(pdf_times) * 1000:.0f})",
            f"[{'PASS' if total < 60 else 'MISS'}] billing under 60 s without PDFs",
            f"[{'PASS' if count == args.families else 'MISS'}] one invoice per family",
        ]), flush=True)
        ok = total < 60 and count == args.families
    finally:
        from django.db import connections

        connections.close_all()
        stack.flush_redis(stack.BILLING_REDIS_URL)
        if not args.keep:
            stack.drop_database(args.db)
        print(f"database {args.db} {'kept' if args.keep else 'dropped'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
