"""The Jinja2 environment of the calendar's fragments writes what Django's templates wrote:
the same escaping, dates and addresses, one CSRF token per answer."""

import html
import re

from django.template import engines
from django.test import RequestFactory
from django.utils import translation


def render(source: str, context=None, request=None) -> str:
    return engines["jinja2"].from_string(source).render(context or {}, request)


def test_values_are_escaped_as_django_escapes_them():
    """The same characters, two spelt otherwise (&#34; for &quot;, &#39; for &#x27;): the same
    text in a browser."""
    text = '<script>alert("l\'école & co")</script>'
    jinja = render("{{ text }}", {"text": text})
    django = engines["django"].from_string("{{ text }}").render({"text": text})
    assert jinja == "&lt;script&gt;alert(&#34;l&#39;école &amp; co&#34;)&lt;/script&gt;"
    assert html.unescape(jinja) == html.unescape(django) == text


def test_dates_and_addresses_as_the_django_templates_wrote_them():
    import datetime

    with translation.override("fr"):
        assert render('{{ day|date("j F Y") }}', {"day": datetime.date(2027, 3, 24)}) == (
            "24 mars 2027")
    assert render("{{ url('reservations:book_period') }}") == "/reservations/reserver-periode/"


def test_every_form_of_an_answer_carries_the_same_token():
    """csrf_input is lazy and masks a new token each time it is printed: the fragments print
    it once per answer (as {% csrf_token %} did)."""
    request = RequestFactory().get("/")
    html = render("{% set csrf_input = csrf_input|safe %}{{ csrf_input }}{{ csrf_input }}",
                  request=request)
    tokens = re.findall(r'value="([^"]+)"', html)
    assert len(tokens) == 2 and tokens[0] == tokens[1]
