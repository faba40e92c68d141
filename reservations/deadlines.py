"""Deadline rules, computed in the commune's time zone (Europe/Paris).

A deadline is a wall-clock time on a local date, made aware with the commune's zone, so
that "10 h" stays 10 h on both sides of the daylight-saving change."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ground import french
from ground.calendar import working_days_before
from ground.commune import commune

WEEKDAYS = [gettext_lazy("lundi"), gettext_lazy("mardi"), gettext_lazy("mercredi"),
            gettext_lazy("jeudi"), gettext_lazy("vendredi"), gettext_lazy("samedi"),
            gettext_lazy("dimanche")]


def local_zone() -> ZoneInfo:
    # Django's own cached zone (reset when a test changes TIME_ZONE): this runs for every day
    # of every calendar page.
    return timezone.get_default_timezone()


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=local_zone())


def deadline_for(rule, day: date) -> datetime:
    """The last moment a day can be booked or cancelled under a rule (None: the eve, midnight)."""
    if rule is None:
        return at(day, time(0, 0))
    kind = rule.Kind
    if rule.kind == kind.WORKING_DAYS_BEFORE:
        return at(working_days_before(day, rule.days), rule.time)
    if rule.kind == kind.DAYS_BEFORE:
        return at(day - timedelta(days=rule.days), rule.time)
    # The same weekday strictly before the day: a Wednesday's "previous Wednesday" is 7 days back.
    back = (day.weekday() - rule.weekday) % 7 or 7
    return at(day - timedelta(days=back), rule.time)


def _hour(moment: time) -> str:
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"


def describe(rule) -> str:
    """The rule in words, shown next to every day it governs."""
    if rule is None:
        return _("jusqu'à la veille, minuit")
    kind = rule.Kind
    if rule.kind == kind.WORKING_DAYS_BEFORE:
        if rule.days == 1:
            return _("1 jour ouvré avant, %(hour)s") % {"hour": _hour(rule.time)}
        return _("%(n)s jours ouvrés avant, %(hour)s") % {"n": rule.days,
                                                          "hour": _hour(rule.time)}
    if rule.kind == kind.DAYS_BEFORE:
        if rule.days == 0:
            return _("le jour même, %(hour)s") % {"hour": _hour(rule.time)}
        if rule.days == 1:
            return _("1 jour avant, %(hour)s") % {"hour": _hour(rule.time)}
        return _("%(n)s jours avant, %(hour)s") % {"n": rule.days, "hour": _hour(rule.time)}
    return _("le %(weekday)s précédent, %(hour)s") % {
        "weekday": WEEKDAYS[rule.weekday], "hour": _hour(rule.time)}


def slot_deadline(slot) -> datetime:
    """Until when this slot can be booked or cancelled, under its activity's rule."""
    return deadline_for(getattr(slot.activity, "deadline_rule", None), slot.date)


def justification_deadline(day: date) -> datetime:
    """An absence can be justified until 48 h (the commune's setting) after the end of the
    day."""
    return at(day + timedelta(days=1), time(0, 0)) + timedelta(
        hours=commune().justification_hours)


def format_day(day: date) -> str:
    """"mercredi 7 octobre 2026"."""
    return format_date(day, "l j F Y")


def format_date(day: date, fmt: str) -> str:
    """`date_format` in the active language, remembered: every calendar page writes the same
    few weeks of dates, for every parent."""
    return _formatted(day, fmt, get_language())


@lru_cache(maxsize=4096)
def _formatted(day: date, fmt: str, _language: str) -> str:
    return french.format_day(day, fmt)  # « 1er octobre »


def format_moment(moment: datetime) -> str:
    """"mercredi 7 octobre 2026 à 12 h" in the commune's time zone."""
    local = moment.astimezone(local_zone())
    return _("%(day)s à %(hour)s") % {"day": format_day(local.date()),
                                      "hour": _hour(local.time())}


def deadline_sentence(deadline: datetime, passed: bool = False) -> str:
    """Beside each day, shortly: until when it can be booked or cancelled (« jusqu'au
    30 décembre à 10 h »: the page says « Réserver ou annuler » to screen readers, and the rule
    once, above the days), or since when it cannot. Remembered per language and time zone: the
    same few weeks of deadlines are on every parent's calendar."""
    return _deadline_sentence(deadline, passed, get_language(), local_zone())


@lru_cache(maxsize=4096)
def _deadline_sentence(deadline: datetime, passed: bool, _language: str, _zone) -> str:
    local = deadline.astimezone(local_zone())
    moment = _("%(day)s à %(hour)s") % {"day": format_date(local.date(), "j F"),
                                        "hour": _hour(local.time())}
    if passed:
        return _("Hors délai depuis le %(moment)s.") % {"moment": moment}
    return _("jusqu'au %(moment)s") % {"moment": moment}


def justification_limit_text(day: date) -> str:
    """Until when a day's absence can be justified, in words: "vendredi 8 octobre 2027
    inclus" rather than "samedi à 0 h" when the window ends at midnight."""
    limit = justification_deadline(day).astimezone(local_zone())
    if limit.time() == time(0, 0):
        return _("%(day)s inclus") % {"day": format_day(limit.date() - timedelta(days=1))}
    return format_moment(limit)
