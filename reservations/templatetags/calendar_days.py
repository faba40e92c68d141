"""`{% calendar_day day %}`: one day of the calendar (reservations/day_html.py says why it is
written in Python). Reads `child`, `mois`, `oob`, `retry` and the CSRF token from the page's
context, as `{% include "…_day.html" %}` did; `oob=` and `retry=` override them.

`{% calendar_activity block %}`: one activity's section of the month, its period forms and
its days (reservations/activity_html.py); reads `child`, `mois` and `others`.

`{% calendar_csrf %}`: the page's other forms' CSRF field, the same one."""

from django import template
from django.template.defaulttags import CsrfTokenNode

from ..activity_html import activity_html
from ..day_html import day_html

register = template.Library()

_CSRF_KEY = "calendar_day_csrf_input"  # the page's CSRF field, kept in its render context


@register.simple_tag(takes_context=True)
def calendar_day(context, day, oob=None, retry=None):
    oob = context.get("oob", False) if oob is None else oob
    retry = context.get("retry", False) if retry is None else retry
    retry_html = ""
    if retry:
        with context.push(day=day):
            retry_html = context.template.engine.get_template(
                "reservations/_day_retry.html").render(context)
    return day_html(day, child_id=context["child"].pk, month=context.get("mois", ""),
                    csrf_input=_csrf_input(context), oob=oob, retry_html=retry_html)


@register.simple_tag(takes_context=True)
def calendar_activity(context, block):
    return activity_html(block, child_id=context["child"].pk, month=context.get("mois", ""),
                         others=context.get("others", ()), csrf_input=_csrf_input(context))


@register.simple_tag(takes_context=True)
def calendar_csrf(context):
    """`{% csrf_token %}`, sharing the page's one CSRF field with its days and sections."""
    return _csrf_input(context)


def _csrf_input(context) -> str:
    """One CSRF field for the page's forms: each rendering masks the token afresh (32 random
    characters), which twenty days paid twenty times."""
    found = context.render_context.get(_CSRF_KEY)
    if found is None:
        found = context.render_context[_CSRF_KEY] = CsrfTokenNode().render(context)
    return found

