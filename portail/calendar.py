"""French public and school holidays for the commune (ground module: imports no app).

The `holidays` package carries the official school calendar of zones A, B and C; the
commune's zone comes from settings. Results are cached per year: they never change."""

from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.conf import settings


def _zone() -> str:
    return f"Zone {settings.PORTAIL_COMMUNE['school_holiday_zone']}"


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
