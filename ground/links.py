"""Absolute links to the portal's pages, for what is read outside it (e-mails, letters),
built from PORTAIL_BASE_URL: a Celery task has no request to take the host from."""

from django.conf import settings

# « Données personnelles » (GDPR art. 13): served by the roof (portail.urls), linked from
# the ground's pages and e-mails, which may not name a higher layer's URL.
PRIVACY_PATH = "/donnees-personnelles/"
# Where a parent asks for a copy of the household's data (the roof's), from « Profil ».
DATA_EXPORT_PATH = "/famille/mes-donnees/"
# Where a parent asks to close the account and erase the data (the roof's), from « Profil ».
ERASURE_PATH = "/famille/fermer-mon-compte/"


def absolute(path: str) -> str:
    return f"{settings.PORTAIL_BASE_URL}{path}"


def privacy_url() -> str:
    """Linked from every e-mail's footer."""
    return absolute(PRIVACY_PATH)
