"""The days an activity runs: its weekly pattern inside the school year, minus school or
public holidays as its calendar requires, minus the closure days staff add."""

from datetime import date

from django.db.models import Q

from ground.calendar import days_between, public_holiday, school_holiday

from .models import Activity, ClosureDay


def closures(activity: Activity, first: date, last: date) -> dict[date, str]:
    """Closure days (for all activities or this one) between two dates, with their reason."""
    rows = ClosureDay.objects.filter(
        Q(activity__isnull=True) | Q(activity=activity),
        school_year_id=activity.school_year_id, date__range=(first, last))
    return dict(rows.values_list("date", "label"))


def runs_on(activity: Activity, day: date) -> bool:
    """Whether the activity's weekly pattern and holidays allow the day (closures aside)."""
    if day.weekday() > 4 or public_holiday(day):
        return False
    in_holidays = school_holiday(day) is not None
    if activity.days == Activity.Days.HOLIDAYS:
        return in_holidays
    if in_holidays:
        return False
    if activity.days == Activity.Days.WEDNESDAYS:
        return day.weekday() == 2
    return day.weekday() in activity.weekdays


def activity_days(activity: Activity, first: date | None = None,
                  last: date | None = None) -> list[date]:
    """Every day the activity runs between two dates (by default its whole school year)."""
    year = activity.school_year
    first = max(first or year.start_date, year.start_date)
    last = min(last or year.end_date, year.end_date)
    if first > last:
        return []
    closed = closures(activity, first, last)
    return [day for day in days_between(first, last)
            if runs_on(activity, day) and day not in closed]
