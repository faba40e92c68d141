"""The authentication backends: Django's and allauth's, reading the session's user with his
guardian and family.

Every parent request reads its user (`AuthenticationMiddleware`) and then its family
(`FamilyMixin`): here the user's query also brings the guardian and his family
(`queries.user_with_family`), so that `services.family_of` asks nothing more. Logging in,
permissions and the "inactive users cannot log in" rule are Django's and allauth's, unchanged.

A session keeps the path of the backend that logged its user in; migration
familles/0004 moved the sessions of the two former paths to these."""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends

from .queries import user_with_family


def _get_user(backend, user_id):
    user = user_with_family(user_id)
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(django_backends.ModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(allauth_backends.AuthenticationBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
