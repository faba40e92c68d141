"""The portal's error pages where Django has no template hook of its own (issue 23, item 10).

Django renders 400/403/404/500.html itself, but a view that refuses a method
(`require_POST`, a class-based view's `http_method_names`) answers an empty
`HttpResponseNotAllowed`, and the CSRF failure page is Django's English one. Both become the
portal's French pages, in the layout, with the service's phone and a way back. The 500 page
is rendered without the request (no session, no user: nothing that needs the database) and
takes the commune's settings only if they can still be read."""

import logging

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from ground.commune import commune

logger = logging.getLogger(__name__)


class MethodNotAllowedPageMiddleware:
    """An empty 405 (a GET on a form's POST address, a bookmarked « payer » link) becomes the
    French page; the Allow header stays."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from an expired page (often the login form left open)."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """handler500: the database may be what failed, so the page reads the commune's settings
    (from the cache first) only if that works, and renders no part that needs a query."""
    try:
        settings_row = commune()
    except Exception:  # the database or the cache is down: the page must render anyway
        logger.warning("500 page without the commune's settings", exc_info=True)
        settings_row = None
    page = loader.get_template("500.html").render({"commune": settings_row})
    return HttpResponseServerError(page)
