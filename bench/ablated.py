"""The portal with parts of the rush's two requests made free: an upper bound, not the portal.

    .venv/bin/python -m bench.rush --free email,month,answer

gunicorn serves `bench/ablated_wsgi.py` instead of `portail.wsgi` when the rush is given
`--free`. Each part named in PORTAIL_BENCH_FREE is replaced by the cheapest stand-in that keeps
both requests answering 200 with a CSRF token (tests/bench/test_ablated.py checks each):

- `email`: the booking's summary e-mail is not written (nor sent by the worker);
- `days`: the calendar reads the month but writes no day and no period form;
- `month`: the calendar does not read the month either (the page is its layout, its child
  tabs and the month's navigation; the CSRF token comes from the logout form);
- `answer`: the period booking's answer holds its lines, not the days of the month on screen.

What is left is what any request of the portal's stack costs (session, user, middleware,
layout) and the booking itself (its reads, the booking statements). If the rush with every
part free still misses a target, no cut of those parts can meet it."""

PARTS = ("email", "days", "month", "answer")


def parts_from(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown parts {', '.join(unknown)}: choose among {', '.join(PARTS)}")
    return parts


def make_free(parts) -> None:
    from django.utils.safestring import mark_safe

    from reservations.calendar import ChildMonth
    from reservations.services import booking
    from reservations.templatetags import calendar_days
    from reservations.views import calendar as views

    if "email" in parts:
        booking.queue_email = lambda *args, **kwargs: None
    if "days" in parts or "month" in parts:
        calendar_days.activity_html = lambda *args, **kwargs: mark_safe("")
    if "month" in parts:
        views.child_month = lambda child, first, now: ChildMonth(child=child, first=first)
    if "answer" in parts:
        views.child_days = lambda *args, **kwargs: []

