"""The authentication backends: Django's and allauth's, reading the user of a session faster.

Every parent request reads its user (`AuthenticationMiddleware`) and then its family
(`FamilyMixin`). Django's `ModelBackend.get_user` builds its query each time (about 0.35 ms
of CPU more than running it, measured on the calendar page); here the user is one compiled
read (ground/compiled.py), which also brings the guardian and his family, so that the
family's own read is answered from it (`services.family_of`). Logging in, permissions and the
"inactive users cannot log in" rule are Django's and allauth's, unchanged.

A session keeps the path of the backend that logged its user in; migration
familles/0004 moved the sessions of the two former paths to these."""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends

from ground.compiled import compiled_read, possible_ids

from .models import User


@compiled_read
def _user_with_family(user_id):
    return User.objects.select_related("guardian__family").filter(pk=user_id).order_by()[:1]


def _get_user(backend, user_id):
    try:
        ids = possible_ids([int(user_id)])
    except (TypeError, ValueError):
        return None  # not an id: no user, as Django's own lookup answers
    found = _user_with_family(ids[0]) if ids else []
    user = found[0] if found else None
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(django_backends.ModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(allauth_backends.AuthenticationBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)

