"""French wording as template filters (ground.french), a built-in of the Django templates
(settings TEMPLATES OPTIONS "builtins": no {% load %} needed):

- `date`: Django's own, with « 1er » for the first of the month before its name;
- `{{ child.first_name|de }}` → « d'Inès » / « de Paul »; `{{ title|elide }}`;
- `{{ child.sex|agree:"inscrit" }}`, `{{ child.sex|agree:"né,née" }}`;
- `{{ document.size|size }}` → « 1,5 Mo », « 12 Ko » (not filesizeformat's « Kio »)."""

from django import template
from django.utils import formats

from ground import french
from ground.sizes import human_size

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `date` filter (same formats, same localisation), « 1er » on the first."""
    if value in (None, ""):
        return ""
    try:
        return french.format_day(value, formats.get_format(arg or "DATE_FORMAT"))
    except AttributeError:
        return ""


@register.filter
def de(name):
    return french.de(name)


@register.filter
def elide(text):
    return french.elide(text)


@register.filter
def agree(sex, words: str):
    masculine, _comma, feminine = words.partition(",")
    return french.agree(sex, masculine, feminine or None)


@register.filter
def size(value):
    try:
        return human_size(int(value))
    except (TypeError, ValueError):
        return ""
