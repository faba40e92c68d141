"""Absolute links to the portal's pages, for what is read outside it (e-mails, letters),
built from PORTAIL_BASE_URL: a Celery task has no request to take the host from."""

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    return f"{settings.PORTAIL_BASE_URL}{path}"


def privacy_url() -> str:
    """« Données personnelles », linked from every e-mail's footer (GDPR art. 13)."""
    return absolute(reverse("privacy"))
