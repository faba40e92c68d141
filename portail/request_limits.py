"""Refuse a request body over `REQUEST_MAX_BYTES` from its announced length, before any of
it is read: Django would otherwise stream a huge upload to a temporary file before the form
could say it is too big. The reverse proxy holds the same limit first (README)."""

from django.conf import settings
from django.shortcuts import render

from familles.uploads import human_size


class RequestSizeLimitMiddleware:
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
        return self.get_response(request)
