"""French public and school holidays for the commune, and the date and month helpers every
app uses (ground module: imports no app).

The `holidays` package carries the official school calendar of zones A, B and C; the
commune's zone is one of its settings (ground.commune). Results are cached per year: they
never change."""

import re
from calendar import monthrange
from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone
from django.utils.formats import date_format

from .commune import commune


def _zone() -> str:
    return f"Zone {commune().school_holiday_zone}"


@lru_cache(maxsize=32)
def _public(year: int) -> dict:
    return dict(holidays.country_holidays("FR", years=year, language="fr"))


@lru_cache(maxsize=32)
def _school(zone: str, year: int) -> dict:
    return dict(holidays.country_holidays("FR", subdiv=zone, years=year, language="fr",
                                          categories=("school",)))


def public_holiday(day: date) -> str | None:
    """The name of the public holiday on that day, or None."""
    return _public(day.year).get(day)


def school_holiday(day: date) -> str | None:
    """The name of the school holidays the day falls in (commune's zone), or None."""
    return _school(_zone(), day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday: what "jours ouvrés" count."""
    return day.weekday() < 5 and public_holiday(day) is None


def working_days_before(day: date, count: int) -> date:
    """The date `count` working days before `day` (the day itself is not counted)."""
    current = day
    while count > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            count -= 1
    return current


def days_between(first: date, last: date):
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)


# The months a page may be asked for ("2026-10" in an address or a form): any school year the
# portal can hold, and never one whose month before or after does not exist (year 1, 9999).
FIRST_MONTH = date(2000, 1, 1)
LAST_MONTH = date(2099, 12, 1)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(value) -> date | None:
    """The first day of a "YYYY-MM" month between FIRST_MONTH and LAST_MONTH; None for
    anything else, which the caller reads as "no month asked"."""
    match = _MONTH.fullmatch(value or "") if isinstance(value, str) else None
    if match is None or not 1 <= int(match[2]) <= 12:
        return None
    first = date(int(match[1]), int(match[2]), 1)
    return first if FIRST_MONTH <= first <= LAST_MONTH else None


# Months: a month is held as the date of its first day.
def month_end(day: date) -> date:
    """The last day of the day's month."""
    return day.replace(day=monthrange(day.year, day.month)[1])


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last days of the day's month."""
    return day.replace(day=1), month_end(day)


def next_month(day: date) -> date:
    """The first day of the month after the day's."""
    return month_end(day) + timedelta(days=1)


def previous_month(day: date | None = None) -> date:
    """The first day of the month before the day's (today's when none is given)."""
    first = (day or timezone.localdate()).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def month_label(month: date) -> str:
    """« mars 2027 »."""
    return date_format(month, "F Y")
