"""The Jinja2 environment of the templates under templates/jinja2/ (Django's own Jinja2
backend, for the calendar's hot fragments: see docs/performance.md, "Issue 22").

What the Django templates they replace had: `url`, `static`, gettext (`{% trans %}` blocks
and `_()`), Django's `date` filter. Jinja2 escapes the same five characters as Django, two
of them spelt differently (&#34; and &#39; for Django's &quot; and &#x27;): the same text to
a browser. Jinja2's own escaping is used: Django's (`finalize=conditional_escape`) made the
calendar measurably slower (docs/performance.md)."""

from datetime import date as Date
from datetime import datetime
from functools import lru_cache

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment

from ground import french
from ground.templatetags.french import date


def url(name: str, *args, **kwargs) -> str:
    if args or kwargs:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    # A page names the same few addresses in every form: each reversed once per URLconf and
    # script prefix (the only things an address without arguments depends on here: no
    # translated URL patterns) rather than some ten times a calendar.
    return reversed_once(get_urlconf(), get_script_prefix(), name)


@lru_cache(maxsize=128)
def reversed_once(urlconf, prefix: str, name: str) -> str:
    return reverse(name, urlconf=urlconf)


def gettext(message: str) -> str:
    # The templates' constant sentences, translated once per language rather than at every
    # use (some thirty a calendar): Django's gettext looks the active translation up each time.
    return translated(translation.get_language(), message)


@lru_cache(maxsize=1024)
def translated(language: str | None, message: str) -> str:
    return translation.gettext(message)


def date_filter(value, arg=None):
    """The Django templates' `date` filter (ground.templatetags.french: « 1er » on the first
    of the month); a day (not a moment, whose zone matters) formatted once per format and
    language: the calendar writes the same few months on every page."""
    if isinstance(value, Date) and not isinstance(value, datetime):
        return formatted_day(value, arg, translation.get_language())
    return date(value, arg)


@lru_cache(maxsize=1024)
def formatted_day(value: Date, arg, language: str | None) -> str:
    return date(value, arg)


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    options.setdefault("keep_trailing_newline", True)  # as Django's templates do
    env = Environment(autoescape=True, **options)
    env.install_gettext_callables(gettext, translation.ngettext, newstyle=True,
                                  pgettext=translation.pgettext,
                                  npgettext=translation.npgettext)
    env.globals.update(url=url, static=static)
    env.filters["date"] = date_filter
    env.filters.update(de=french.de, agree=french.agree)
    return env


def fragment(name: str, context: dict, request) -> SafeString:
    """A Jinja2 template's markup, to be placed in a Django template's page as it is."""
    # Safe: the template's own output, every value in it escaped (autoescape above).
    return mark_safe(render_to_string(name, context, request, using="jinja2"))  # noqa: S308
