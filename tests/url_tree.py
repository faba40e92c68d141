"""The portal's URL tree, walked through `django.urls.get_resolver()`: the sweeps that must
cover every parent URL (ownership, odd input) build their list from it, so that a new URL is
covered, or fails them, without anyone remembering to add it."""

from django.urls import URLPattern, URLResolver, get_resolver

# Route prefixes that are not the parent side.
EXCLUDED_PREFIXES = {
    "gestion/": "staff pages (Django admin): staff permissions, not family ownership",
    "compte/": "allauth (login, sign-up, password, MFA): the account, no family object",
}


def walk(resolver=None, prefix="", namespace="", converters=None):
    """(route, full name, pattern, converters) for every URL pattern, recursively."""
    resolver = resolver or get_resolver()
    converters = converters or {}
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        found = {**converters, **pattern.pattern.converters}
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern, route, ns, found)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield route, name, pattern, found


def parent_side():
    """Every pattern not under an excluded prefix (the admin, allauth's account pages)."""
    for route, name, pattern, converters in walk():
        if not any(route.startswith(prefix) for prefix in EXCLUDED_PREFIXES):
            yield route, name, pattern, converters
