"""The commune running the portal: its name and the service's contacts (ground module)."""

from django.conf import settings


def commune() -> dict:
    return settings.PORTAIL_COMMUNE


def context_processor(request):
    return {"commune": commune()}
