"""Everything a member of the staff can read of the outbox in the admin (DESIGN.md, invariant
7): the tests of secrets and health content in e-mails browse all of it."""

from urllib.parse import urlencode

from django.test import Client

from ground.models import OutboxMessage

OUTBOX_ADMIN = "/gestion/ground/outboxmessage/"


def outbox_admin_pages(client: Client, searches=()) -> dict:
    """Every outbox page the client can open, its response by URL: the list, filtered by each
    state and each template, searched for each of ``searches``, and each message's change and
    history pages."""
    templates = sorted(set(OutboxMessage.objects.values_list("template", flat=True)))
    urls = [OUTBOX_ADMIN]
    urls += [f"{OUTBOX_ADMIN}?{urlencode({'status__exact': s})}"
             for s in OutboxMessage.Status.values]
    urls += [f"{OUTBOX_ADMIN}?{urlencode({'template': t})}" for t in templates]
    urls += [f"{OUTBOX_ADMIN}?{urlencode({'q': q})}" for q in searches]
    for pk in OutboxMessage.objects.order_by("pk").values_list("pk", flat=True):
        urls += [f"{OUTBOX_ADMIN}{pk}/change/", f"{OUTBOX_ADMIN}{pk}/history/"]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response
    return pages


def outbox_search_count(client: Client, query: str) -> int:
    """How many messages the admin's search box finds for ``query``."""
    return client.get(OUTBOX_ADMIN, {"q": query}).context["cl"].result_count
