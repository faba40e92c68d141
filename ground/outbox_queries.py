"""Reads of the outbox shared by the pages and the exports that list a household's e-mails."""

from django.db import connection
from django.db.models import Q


def addressed_to(emails) -> Q:
    """The messages sent to any of these addresses (`OutboxMessage.to` is a JSON list)."""
    wanted = Q(pk__in=[])
    for email in emails:
        if connection.vendor == "postgresql":
            # JSONB containment: the address as one element of the list, no text cast.
            wanted |= Q(to__contains=[email])
        else:
            # SQLite (the demo) has no JSON containment: the list's text holds each address
            # between quotes.
            wanted |= Q(to__icontains=f'"{email}"')
    return wanted
