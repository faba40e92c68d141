"""`{% fixed a b %}…{% endfixed %}`: markup rendered once per process and language.

The layout around every page (stylesheets, the menu, the footer) is the same for every parent:
rendering it again for each request cost about 0.4 ms of CPU on the calendar page (its
`{% url %}` and `{% trans %}` tags), measured, on reservation-opening day as on any other.
This block renders its content once per language, per address the portal is mounted at, and
per combination of the values it is given, each counted as true or false
(`{% fixed user.is_authenticated user.is_staff %}`), then writes it back as it was.

The content must therefore depend on nothing else: no CSRF token, no form, no message, no
value of the request or of the user beyond the ones given. Settings (the commune's name) are
fixed for a process's life."""

import weakref

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()
_nodes = weakref.WeakSet()


class FixedNode(template.Node):
    def __init__(self, nodelist, conditions):
        self.nodelist, self.conditions = nodelist, conditions
        self.rendered: dict[tuple, str] = {}  # the node lives as long as the cached template
        _nodes.add(self)

    def render(self, context):
        # The addresses inside (`{% url %}`, `{% static %}`) depend on where the portal is
        # mounted, as `reservations.calendar.Endpoints` does.
        key = (get_language(), get_script_prefix(),
               *(bool(c.resolve(context)) for c in self.conditions))
        found = self.rendered.get(key)
        if found is None:
            found = self.rendered[key] = self.nodelist.render(context)
        return mark_safe(found)  # noqa: S308 - what the template itself rendered


@register.tag
def fixed(parser, token):
    conditions = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    return FixedNode(nodelist, conditions)


@receiver(setting_changed)
def _forget(**kwargs):
    """A test that changes a setting (the commune's name, a URL) sees it in the layout."""
    for node in list(_nodes):
        node.rendered.clear()
