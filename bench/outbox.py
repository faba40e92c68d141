"""The outbox's two ways of handing e-mails to the worker, measured side by side in one run.

    .venv/bin/python -m bench.outbox             # about a minute

Starts the Celery worker (production settings, an SMTP sink), then for each way queues the
same number of messages, each in its own committed transaction as a request does, and
reports the CPU per message of this process (the request's side: writing the row, then
handing it over) and of the worker (until every message is sent):

- one task per message: the commit publishes `send_outbox_message(id)` (before the seventh
  session's change, and still the beat job's retries);
- drain: the commit queues `drain_outbox` unless one is queued and not started; the drain
  sends every new message through one connection to the mail server."""

import argparse
import sys
import time

from bench import cpu, stack


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--db", default="portail_outbench")
    args = p.parse_args(argv)
    sink = stack.SMTPSink()
    env = stack.bench_env(args.db, http_port=0, smtp_port=sink.start_in_thread())
    stack.apply_env(env)
    processes = stack.Processes(env)
    try:
        stack.create_database(args.db)
        stack.flush_redis()
        stack.migrate_and_collect(static=False)
        processes.start_worker(niceness=0)
        time.sleep(5)  # the worker's start
        results = {name: measure(args.messages, name) for name in ("one task per message",
                                                                   "drain")}
    finally:
        processes.stop()
        sink.stop()
        from django.db import connections

        connections.close_all()
        stack.flush_redis()
        stack.drop_database(args.db)
    print(f"\n{args.messages} messages each, CPU per message (ms):")
    print(f"{'':24}{'request side':>14}{'worker':>10}")
    for name, (web, worker) in results.items():
        print(f"{name:24}{web:14.2f}{worker:10.2f}")
    (web_a, worker_a), (web_b, worker_b) = results.values()
    print(f"drain / one task per message: request side {web_b / web_a:.2f}, "
          f"worker {worker_b / worker_a:.2f}")
    return 0


def measure(count: int, name: str) -> tuple[float, float]:
    from django.db import transaction

    from ground import outbox
    from ground.models import OutboxMessage

    handover = outbox.kick
    if name == "one task per message":
        outbox.kick = outbox.dispatch  # what queue_message's commit called before
    try:
        before, started = cpu.snapshot(), time.process_time()
        for n in range(count):
            with transaction.atomic():
                outbox.queue_message(to="parent@example.org", subject=f"Réservations {n}",
                                     body_text="Bonjour,\n\nVos réservations…\n" * 20)
        web = time.process_time() - started
        while OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists():
            time.sleep(0.2)
        worker = cpu.spent(before, cpu.snapshot())["worker (celery)"]
    finally:
        outbox.kick = handover
    print(f"{name}: sent {OutboxMessage.objects.filter(status='sent').count()}", flush=True)
    OutboxMessage.objects.all().delete()
    return web / count * 1000, worker / count * 1000


if __name__ == "__main__":
    sys.exit(main())
