"""Next year in one click, the inscriptions' part: the new school year, as a draft, and a copy
of the year's activities (units, sites, closure days) into it. Nothing of the year copied
changes. The whole rollover is orchestrated by facturation/services/rollover.py (it needs the
copy step of every app); this module also holds the map from a day of one school year to the
same day of the next (`DayMap`), which every step uses.

How a day maps, on the commune's school calendar (ground/calendar.py, by zone):
- a day in school holidays goes to the holidays of the same name in the new year (the run of
  days nearest a year later: « Vacances d'été » has one at each end of a year), in the same
  week of them and on the same weekday; a period within some holidays goes to the new ones,
  its first or last day of them staying the first or last day of the new ones;
- any other day moves 52 weeks (364 days): a Wednesday stays a Wednesday; a period's bound
  that is the year's first or last day, a month's first or last day, or the day after or
  before some holidays, keeps that meaning in the new year;
- a day that lands outside the new school year, or a single day (a closure) that lands in
  holidays of the wrong kind, has no counterpart: it is not copied; a bound that lands on a
  public holiday moves inward to the nearest day that is not one."""

import calendar as month_calendar
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ground.calendar import days_between, public_holiday, school_holiday

from ..models import Activity, ActivityUnit, ClosureDay, SchoolYear

YEAR_OF_WEEKS = timedelta(days=364)


@dataclass(frozen=True)
class HolidayRun:
    name: str
    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


def holiday_runs(first: date, last: date) -> list[HolidayRun]:
    """The school holidays between two days, as runs of consecutive days of one name."""
    named = ((day, school_holiday(day)) for day in days_between(first, last))
    runs = []
    for name, group in itertools.groupby(named, key=lambda pair: pair[1]):
        if name is not None:
            days = [day for day, _name in group]
            runs.append(HolidayRun(name, days[0], days[-1]))
    return runs


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _same_day_next_year(day: date) -> date:
    last = month_calendar.monthrange(day.year + 1, day.month)[1]
    return date(day.year + 1, day.month, min(day.day, last))


class DayMap:
    """Days of `old` (a school year) to the same days of `new`, on the zone's calendar."""

    def __init__(self, old: SchoolYear, new: SchoolYear):
        self.old, self.new = old, new
        self.old_runs = holiday_runs(old.start_date, old.end_date)
        self.new_runs = holiday_runs(new.start_date, new.end_date)

    def _old_run(self, day: date) -> HolidayRun | None:
        return next((run for run in self.old_runs if day in run), None)

    def new_run(self, run: HolidayRun) -> HolidayRun | None:
        """The new year's holidays of the same name, the run nearest a year later."""
        same = [r for r in self.new_runs if r.name == run.name]
        if not same:
            return None
        aim = run.first + YEAR_OF_WEEKS
        return min(same, key=lambda r: abs((r.first - aim).days))

    def _in_run(self, day: date, run: HolidayRun, target: HolidayRun) -> date:
        weeks = (_monday(day) - _monday(run.first)).days // 7
        return _monday(target.first) + timedelta(weeks=weeks, days=day.weekday())

    def _inside(self, day: date) -> bool:
        return self.new.start_date <= day <= self.new.end_date

    def day(self, day: date) -> date | None:
        """A single day (a closure): None when it has no counterpart."""
        run = self._old_run(day)
        if run is not None:
            target = self.new_run(run)
            if target is None:
                return None
            new = self._in_run(day, run, target)
            return new if new in target and self._inside(new) else None
        new = day + YEAR_OF_WEEKS
        if not self._inside(new) or school_holiday(new) is not None or public_holiday(new):
            return None
        return new

    def _school_bound(self, day: date, is_first: bool) -> date:
        if day == self.old.start_date:
            return self.new.start_date
        if day == self.old.end_date:
            return self.new.end_date
        next_day = day + timedelta(days=1)
        if (is_first and day.day == 1) or (not is_first and next_day.day == 1):
            return _same_day_next_year(day)  # « from January », « to December »
        # Right after (or before) some holidays: right after (before) the new ones.
        neighbour = self._old_run(day - timedelta(days=1) if is_first else next_day)
        target = self.new_run(neighbour) if neighbour is not None else None
        if target is not None:
            return (target.last + timedelta(days=1) if is_first
                    else target.first - timedelta(days=1))
        return day + YEAR_OF_WEEKS

    def _holiday_bound(self, day: date, run: HolidayRun, target: HolidayRun,
                       is_first: bool) -> date:
        if day == (run.first if is_first else run.last):
            return target.first if is_first else target.last
        return min(max(self._in_run(day, run, target), target.first), target.last)

    def holiday_period(self, first: date, last: date) -> HolidayRun | None:
        """The old holidays a range of days lies in, if it lies in one."""
        run = self._old_run(first)
        return run if run is not None and last in run else None

    def period(self, first: date, last: date) -> tuple[date, date] | None:
        """The bounds of a range of days (a booking period); None if nothing is left of it."""
        run = self.holiday_period(first, last)
        if run is not None:
            target = self.new_run(run)
            if target is None:
                return None
            new_first = self._holiday_bound(first, run, target, True)
            new_last = self._holiday_bound(last, run, target, False)
        else:
            new_first, new_last = self._school_bound(first, True), self._school_bound(last, False)
        new_first = max(new_first, self.new.start_date)
        new_last = min(new_last, self.new.end_date)
        while new_first <= new_last and public_holiday(new_first):
            new_first += timedelta(days=1)
        while new_last >= new_first and public_holiday(new_last):
            new_last -= timedelta(days=1)
        return (new_first, new_last) if new_first <= new_last else None

    def moment(self, moment: datetime, shift: timedelta) -> datetime:
        """A date and time (an opening) moved by whole weeks near `shift`, at the same local
        hour: the same weekday, about as long before the period as last year."""
        weeks = round(shift.days / 7)
        local = timezone.localtime(moment)
        return timezone.make_aware(datetime.combine(
            local.date() + timedelta(weeks=weeks), local.time().replace(tzinfo=None)))


@dataclass
class CatalogueCopy:
    """What the inscriptions' step copied: the new year, and old ids to the new objects."""

    old_year: SchoolYear
    new_year: SchoolYear
    days: DayMap
    activities: dict[int, Activity] = field(default_factory=dict)
    units: dict[int, ActivityUnit] = field(default_factory=dict)
    closures: int = 0
    closures_dropped: list[ClosureDay] = field(default_factory=list)


def next_year_label(year: SchoolYear) -> str:
    return f"{year.start_date.year + 1}-{year.start_date.year + 2}"


def next_year_fields(year: SchoolYear) -> dict:
    """The new year's dates: the same calendar days a year later; the campaign 52 weeks
    later (the same weekdays, the same hours)."""
    return {
        "label": next_year_label(year),
        "start_date": _same_day_next_year(year.start_date),
        "end_date": _same_day_next_year(year.end_date),
        "reregistration_opens_at": year.reregistration_opens_at + YEAR_OF_WEEKS,
        "reregistration_deadline": year.reregistration_deadline + YEAR_OF_WEEKS,
        "rules_version": f"{year.start_date.year + 1}-1",
        "rules_url": year.rules_url,
    }


def check_can_roll_over(year: SchoolYear) -> None:
    if SchoolYear.objects.filter(label=next_year_label(year)).exists():
        raise ValidationError(
            _("L'année %(label)s existe déjà : rien n'a été copié.")
            % {"label": next_year_label(year)})
    if not Activity.objects.filter(school_year=year).exists():
        raise ValidationError(_("L'année %(label)s n'a aucune activité à copier.")
                              % {"label": year.label})


@transaction.atomic
def copy_catalogue(year: SchoolYear) -> CatalogueCopy:
    """Create the next school year, unpublished, and copy the year's activities into it:
    their fields, sites, units, and the closure days that have a counterpart. Reads the old
    year only."""
    check_can_roll_over(year)
    new_year = SchoolYear.objects.create(published=False, **next_year_fields(year))
    result = CatalogueCopy(old_year=year, new_year=new_year, days=DayMap(year, new_year))
    copied_fields = [f.name for f in Activity._meta.get_fields()
                     if f.concrete and not f.many_to_many and f.name not in ("id", "school_year")]
    unit_fields = [f.name for f in ActivityUnit._meta.get_fields()
                   if f.concrete and not f.many_to_many and f.name not in ("id", "activity")]
    for activity in (Activity.objects.filter(school_year=year).order_by("pk")
                     .prefetch_related("sites", "units")):
        new = Activity.objects.create(
            school_year=new_year, **{name: getattr(activity, name) for name in copied_fields})
        new.sites.set(activity.sites.all())
        result.activities[activity.pk] = new
        for unit in activity.units.all():
            result.units[unit.pk] = ActivityUnit.objects.create(
                activity=new, **{name: getattr(unit, name) for name in unit_fields})
    for closure in ClosureDay.objects.filter(school_year=year).order_by("date", "pk"):
        day = result.days.day(closure.date)
        if day is None:
            result.closures_dropped.append(closure)
            continue
        ClosureDay.objects.create(
            school_year=new_year, date=day, label=closure.label,
            activity=result.activities.get(closure.activity_id))
        result.closures += 1
    return result


@transaction.atomic
def publish_year(year_id: int) -> SchoolYear:
    """Families see the year from now on (its campaign, its activities)."""
    year = SchoolYear.objects.select_for_update().get(pk=year_id)
    if not year.published:
        year.published = True
        year.save(update_fields=["published"])
    return year
