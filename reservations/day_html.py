"""The calendar's day, written by Python rather than by a template.

A month shows about twenty days, a booking answer fifteen, and on opening day every parent
loads both: through `{% include %}`, Django's template language spent about 115 µs of CPU per
day (2.2 ms of the calendar page, measured on the same days in one process), Python's
f-strings about a tenth. The markup is the one `_day.html` had; the tag `{% calendar_day %}`
(reservations/templatetags/calendar_days.py) puts it in the pages. Every text goes through
`format_html`, which escapes it."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .calendar import Day, Row


def day_html(day: Day, *, child_id: int, month: str, csrf_input: str, oob: bool = False,
             retry_html: str = "") -> SafeString:
    """One day (`<li>`), its messages, an optional « réessayer » form and its rows.
    `csrf_input`: the `{% csrf_token %}` field, already written."""
    hidden = format_html(
        '{}\n          <input type="hidden" name="child" value="{}">', csrf_input, child_id)
    parts = [format_html(
        '<li id="{}" class="calendar-day"{}>\n  <h4 class="h6 mb-0">{}</h4>\n'
        '  <p class="small deadline mb-1">{}</p>\n  ',
        day.dom_id, mark_safe(' hx-swap-oob="true"') if oob else "", day.heading,
        day.deadline_text)]
    parts.extend(format_html('<p class="day-message state-{} mb-1">{}</p>', tone, text)
                 for tone, text in day.messages)
    parts.append(retry_html)
    parts.append(_ROWS_OPEN)
    parts.extend(_row_html(day, row, hidden, month) for row in day.rows)
    parts.append(_ROWS_CLOSE)
    return format_html("{}" * len(parts), *parts)  # each part is escaped already


_ROWS_OPEN = mark_safe('\n  <ul class="list-unstyled mb-0">')
_ROWS_CLOSE = mark_safe("\n  </ul>\n</li>")


def _row_html(day: Day, row: Row, hidden: str, month: str) -> str:
    label = format_html('<span class="visually-hidden"> – {}</span>', row.label)
    head = format_html(
        '\n    <li class="day-row">\n      <span class="unit">{}</span>\n'
        '      <span class="state state-{}">{}</span>\n      ',
        row.slot.unit.label, row.tone, row.words)
    if row.detail:
        head += format_html('<span class="small row-detail">{}</span>', row.detail)
    if row.can_book or row.can_join:
        action = _form_html(day, day.book_url, hidden, row, month,
                            waiting=row.can_join,
                            button_class="btn-outline-primary" if row.can_join else "btn-primary",
                            text=_("Rejoindre la liste d'attente") if row.can_join
                            else _("Réserver"), label=label)
        action += format_html(
            '\n        <span class="form-check form-check-inline ms-2">\n'
            '          <input class="form-check-input" type="checkbox" form="reservation-groupee"'
            ' name="slot" value="{}" id="choose-{}">\n'
            '          <label class="form-check-label" for="choose-{}">{}{}</label>\n'
            '        </span>', row.slot.pk, row.slot.pk, row.slot.pk, _("choisir"), label)
    elif row.can_cancel:
        action = _form_html(day, day.cancel_url, hidden, row, month, waiting=False,
                            button_class="btn-outline-danger",
                            text=_("Quitter la liste d'attente") if row.state == "waiting"
                            else _("Annuler"), label=label)
    elif row.can_justify:
        action = format_html('<a class="btn btn-sm btn-outline-primary" href="{}">{}{}</a>',
                             row.justify_url, _("Justifier l'absence"), label)
    else:
        action = ""
    return format_html("{}\n      {}\n    </li>", head, action)


def _form_html(day, url, hidden, row, month, *, waiting, button_class, text, label) -> str:
    return format_html(
        '<form method="post" action="{}" hx-post="{}" hx-target="#{}" hx-swap="outerHTML"'
        ' class="d-inline">\n          {}\n'
        '          <input type="hidden" name="slot" value="{}">\n'
        '          <input type="hidden" name="mois" value="{}">\n          {}'
        '\n          <button type="submit" class="btn btn-sm {}">{}{}</button>\n'
        '        </form>',
        url, url, day.dom_id, hidden, row.slot.pk, month,
        mark_safe('<input type="hidden" name="waiting_list" value="1">') if waiting else "",
        button_class, text, label)
