"""French that reads as written by hand (ground module: imports no app): « d'Inès » but
« de Paul », « le 1er septembre », « Léa est inscrite » once the child's sex is known.
Exposed as template filters to the Django templates (ground/templatetags/french.py, loaded
everywhere) and to the Jinja2 environment (ground/jinja_env.py)."""

import re
from datetime import date
from functools import lru_cache

from django.utils.dateformat import format as date_format
from django.utils.formats import date_format as localized_date
from django.utils.translation import gettext as _

# Before a vowel or a mute h the article elides: d'Inès, d'Hugo, d'Yvonne; « de Paul ».
ELIDING = re.compile(r"[aeiouyhàâäéèêëîïôöùûüœæ]", re.IGNORECASE)
# In a sentence: « de » before a word starting with a vowel (not h: « de haricots »).
DE_BEFORE_VOWEL = re.compile(r"\b([Dd])e ([aeiouàâéèêîôûœAEIOUÀÂÉÈÊÎÔÛŒ])")
# A day of the month (« j ») written before the month's name: the first is « 1er ».
DAY_BEFORE_MONTH = re.compile(r"(?<!\\)j(?= [FMNEb])")


def de(name) -> str:
    """« de Paul », « d'Inès »: the preposition and the name, elided as French writes it."""
    name = str(name).strip()
    return f"d'{name}" if name and ELIDING.match(name) else f"de {name}"


def elide(text) -> str:
    """A sentence Django assembled (« Modification de inscription ») as French writes it."""
    return DE_BEFORE_VOWEL.sub(r"\1'\2", str(text))


@lru_cache(maxsize=256)
def ordinal_format(fmt: str) -> str:
    """A date format whose day before the month's name reads « 1er » on the first."""
    return DAY_BEFORE_MONTH.sub(r"j\\e\\r", fmt)


def format_day(value, fmt: str) -> str:
    """Django's date formatting, with « 1er » for the first of the month (« 1er septembre »,
    never « 1 septembre »), and « 2 septembre » on other days."""
    if getattr(value, "day", None) == 1:
        fmt = ordinal_format(fmt)
    return date_format(value, fmt)


def ordinal_day(value) -> str:
    """The day of the month as French writes it before the month: « 1er », « 2 », « 31 »."""
    return "1er" if value.day == 1 else str(value.day)


def agree(sex, masculine: str, feminine: str | None = None) -> str:
    """The word in agreement with a child's sex (« F » or « M », as Child.Sex stores it):
    « inscrite » / « inscrit »; both (« inscrit(e) ») only when the sex is not known."""
    feminine = feminine if feminine is not None else masculine + "e"
    if sex == "F":
        return feminine
    if sex == "M":
        return masculine
    return f"{masculine}({feminine.removeprefix(masculine)})" if feminine.startswith(
        masculine) else f"{masculine}/{feminine}"


def dates_text(days) -> str:
    """Days (dates or ISO strings) written short, by month: ["2026-10-07", "2026-10-14",
    "2026-11-04"] → "7, 14 octobre ; 4 novembre" (« 1er » for the first; with the year when
    they span two)."""
    days = sorted(day if isinstance(day, date) else date.fromisoformat(day) for day in days)
    months: dict[tuple[int, int], list[date]] = {}
    for day in days:
        months.setdefault((day.year, day.month), []).append(day)
    years = {year for year, _month in months}
    parts = []
    for group in months.values():
        month = localized_date(group[0], "F Y" if len(years) > 1 else "F")
        parts.append(_("%(days)s %(month)s") % {
            "days": ", ".join(ordinal_day(d) for d in group), "month": month})
    return " ; ".join(parts)
