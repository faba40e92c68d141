"""The portal's URLs plus two that fail on purpose, for the error pages' tests
(tests/portail/test_error_pages.py): Django reads handler500 from the root URLconf."""

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.urls import path

from portail.urls import handler400, handler500
from portail.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler400", "handler500", "urlpatterns"]


def database_down(request):
    raise DatabaseError("connection refused")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("essai/base-indisponible/", database_down),
    path("essai/interdit/", forbidden),
    *portal_urlpatterns,
]
