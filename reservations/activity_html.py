"""The calendar's activity section (its period forms and its days), written by Python.

Every parent loads this page on opening day. Through the template language, the period forms
of a month's two activities (the Wednesdays and the canteen) made some fifty nodes each, eight
`{% blocktrans %}` with their date filters, two `{% url %}` and a freshly masked CSRF token per
form; written here, the whole page takes about 17 % less CPU (old and new template alternating
in one process). Written as `day_html` writes
the days (reservations/day_html.py says how that was measured), with the fixed words
translated once per language and the page's one CSRF field shared, the markup is the one the
template wrote (checked identical on real months). Every value written goes through `esc`;
our own translated words and sentences are not, as `{% trans %}` and `{% blocktrans %}` leave
them."""

from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ground.i18n import gettext as _

from .calendar import ActivityMonth, Endpoints, PeriodChoice
from .day_html import day_html, esc
from .deadlines import format_date


def activity_html(block: ActivityMonth, *, child_id: int, month: str, others,
                  csrf_input: str) -> SafeString:
    """One `<section>`: the activity's name, place and rule, its period forms, its days.
    `others`: the brothers and sisters the period forms offer to book too."""
    activity = block.activity
    language = get_language()
    words = _words(language)
    pk = esc(activity.pk)
    parts = [
        f'\n  <section class="card mb-3 activity-month" aria-labelledby="activite-{pk}">'
        f'<div class="card-body">\n    <h3 id="activite-{pk}" class="h4">{esc(activity.name)}'
        f'</h3>\n    <p class="small mb-2">'
        + _("Lieu : %(site)s. Délai de réservation et d'annulation : %(rule)s.") % {
            "site": esc(block.enrolment.site), "rule": esc(block.rule_text)}
        + "</p>\n\n    "]
    context = (esc(child_id), esc(month), esc(csrf_input), others, words)
    parts.extend(f"\n    {_period_html(choice, context)}\n    " for choice in block.periods)
    parts.append('\n\n    <ul class="calendar-days list-unstyled mb-0">\n      ')
    parts.extend(day_html(day, child_id=child_id, month=month, csrf_input=csrf_input,
                          language=language) for day in block.days)
    if not block.days:
        parts.append(f'\n      <li>{words["no_day"]}</li>\n      ')
    parts.append("\n    </ul>\n  </div></section>\n  ")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _period_html(choice: PeriodChoice, context) -> str:
    child, month, csrf_input, others, words = context
    period = choice.period
    pk = esc(period.pk)
    url = esc(Endpoints.reverse().book_period)
    legend = _("Période « %(label)s », du %(first)s au %(last)s") % {
        "label": esc(period.label), "first": esc(format_date(period.first_day, "j F Y")),
        "last": esc(format_date(period.last_day, "j F Y"))}
    head = (
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#periode-{pk}-resultat"'
        ' hx-swap="outerHTML" class="period-form mb-3">\n      '
        f'{csrf_input}\n      <input type="hidden" name="child" value="{child}">\n'
        f'      <input type="hidden" name="period" value="{pk}">\n'
        f'      <input type="hidden" name="mois" value="{month}">\n      <fieldset>\n'
        f'        <legend class="h6">{legend}</legend>\n        ')
    if choice.opening:
        body = ('\n          <p class="mb-0"><span class="state state-neutral">'
                + _("pas encore ouvert (ouvre le %(moment)s)") % {"moment": esc(choice.opening)}
                + "</span></p>\n        ")
    else:
        body = _choices_html(choice, pk, others, words)
    return (f'{head}{body}\n      </fieldset>\n      <div id="periode-{pk}-resultat"'
            ' class="period-result"></div>\n    </form>')


def _choices_html(choice: PeriodChoice, pk: str, others, words) -> str:
    units, weekdays = choice.units, choice.weekdays
    parts = ['\n          <div class="d-flex flex-wrap align-items-end gap-2">\n            ']
    if len(units) == 1:
        parts.append(f'\n              <input type="hidden" name="unit" value="{esc(units[0].pk)}">'
                     '\n            ')
    else:
        options = "".join(f'<option value="{esc(u.pk)}">{esc(u.label)}</option>' for u in units)
        parts.append(
            f'\n              <div><label class="form-label" for="unit-{pk}">{words["unit"]}'
            f'</label>\n              <select class="form-select" name="unit" id="unit-{pk}">'
            f'{options}</select></div>\n            ')
    parts.append("\n            ")
    if len(weekdays) == 1:
        parts.append('\n              <input type="hidden" name="weekday"'
                     f' value="{esc(weekdays[0][0])}">\n            ')
    else:
        options = "".join(f'<option value="{esc(number)}">'
                          + _("tous les %(name)ss") % {"name": esc(name)} + "</option>"
                          for number, name in weekdays)
        parts.append(
            f'\n              <div><label class="form-label" for="weekday-{pk}">'
            f'{words["weekday"]}</label>\n              <select class="form-select"'
            f' name="weekday" id="weekday-{pk}"><option value="">{words["every_day"]}'
            f'</option>{options}</select></div>\n            ')
    parts.append("\n            ")
    for other in others:
        other_id = f"period-also-{pk}-{esc(other.pk)}"
        parts.append(
            '\n            <div class="form-check">\n              <input class="form-check-input"'
            f' type="checkbox" name="children" value="{esc(other.pk)}" id="{other_id}">\n'
            f'              <label class="form-check-label" for="{other_id}">'
            + _("aussi pour %(name)s") % {"name": esc(other.first_name)}
            + "</label>\n            </div>\n            ")
    if len(weekdays) == 1:
        button = _("Réserver tous les %(name)ss de la période") % {"name": esc(weekdays[0][1])}
    else:
        button = words["these_days"]
    parts.append(
        '\n            <div class="form-check">\n              <input class="form-check-input"'
        f' type="checkbox" name="waiting_list" value="1" id="period-wait-{pk}">\n'
        f'              <label class="form-check-label" for="period-wait-{pk}">{words["wait"]}'
        '</label>\n            </div>\n            <button type="submit"'
        f' class="btn btn-primary">{button}</button>\n          </div>\n        ')
    return "".join(parts)


@lru_cache(maxsize=16)
def _words(language: str) -> dict[str, str]:
    """The section's fixed words, once per language. Not escaped, as `{% trans "…" %}` does
    not escape them: they are ours and their translators'."""
    return {key: str(text) for key, text in (
        ("no_day", _("Aucun jour d'accueil ce mois-ci.")), ("unit", _("Unité")),
        ("weekday", _("Jour de la semaine")), ("every_day", _("tous les jours")),
        ("these_days", _("Réserver ces jours de la période")),
        ("wait", _("Si un jour est complet, m'inscrire sur la liste d'attente")))}

