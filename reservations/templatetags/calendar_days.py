"""`{% calendar_day day %}`: one day of the calendar (reservations/day_html.py says why it is
written in Python). Reads `child`, `mois`, `oob`, `retry` and the CSRF token from the page's
context, as `{% include "…_day.html" %}` did; `oob=` and `retry=` override them."""

from django import template
from django.template.defaulttags import CsrfTokenNode

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
    # One CSRF field for the page's days: each rendering masks the token afresh (32 random
    # characters), which twenty days paid twenty times.
    csrf_input = context.render_context.get(_CSRF_KEY)
    if csrf_input is None:
        csrf_input = context.render_context[_CSRF_KEY] = CsrfTokenNode().render(context)
    return day_html(day, child_id=context["child"].pk, month=context.get("mois", ""),
                    csrf_input=csrf_input, oob=oob, retry_html=retry_html)

