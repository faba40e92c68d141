"""What a request must be before any view sees it.

- Its body no bigger than `REQUEST_MAX_BYTES`, judged from its announced length before any of
  it is read: Django would otherwise stream a huge upload to a temporary file before the
  form could say it is too big. The reverse proxy holds the same limit first (README).
- No NUL character in its address (path or query string): no page needs one, and PostgreSQL
  refuses it in any text it compares, so a view looking up `?session_id=%00` or a feed token
  `%00.ics` failed with a 500. Form fields are checked by Django's forms already."""

from django.conf import settings
from django.shortcuts import render

from .sizes import human_size


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads an unreadable length as an empty body
        if length > settings.REQUEST_MAX_BYTES:
            return render(request, "413.html", {
                "limit": human_size(settings.REQUEST_MAX_BYTES),
                "document_limit": human_size(settings.DOCUMENT_MAX_BYTES),
            }, status=413)
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return render(request, "400.html", status=400)
        return self.get_response(request)
