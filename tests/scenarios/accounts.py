"""People and how they come in: parents' and staff accounts, staff short of some
permissions, a browser logged in as someone.

- `UserFactory`, `StaffFactory`: a verified account (`PASSWORD`); staff belong to the
  « Éducation Jeunesse » group and have a TOTP device (`TOTP_SECRET`).
- `staff_without(*codenames)`: a member of the staff with the group's permissions minus
  those.
- `login(user)`: a fresh `Client` logged in as the user (past the second factor, see
  tests/conftest.py); `password_login(client, email)`: the portal's login form posted.
"""

import factory
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from familles.models import User
from familles.second_factor import add_totp_device
from portail.staff import ensure_staff_group, staff_permissions

PASSWORD = "motdepasse-de-test-2026"
# The TOTP secret of every staff account the factories build (base32, as an app is given it).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"parent{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        user.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    @factory.post_generation
    def second_factor(user, create, extracted, **kwargs):
        """Staff and superusers get an active TOTP device (TOTP_SECRET), as every staff account
        has in production; `second_factor=False` builds one who has not enrolled yet."""
        if create and (user.is_staff or user.is_superuser) and extracted is not False:
            add_totp_device(user, TOTP_SECRET)


class StaffFactory(UserFactory):
    is_staff = True
    email = factory.Sequence(lambda n: f"agent{n}@mairie.example")

    @factory.post_generation
    def staff_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(ensure_staff_group())


def staff_without(*codenames):
    """A member of the staff with the group's permissions minus ``codenames`` (health data,
    decisions…)."""
    user = StaffFactory()
    user.groups.clear()
    user.user_permissions.set(staff_permissions().exclude(codename__in=codenames))
    return user


def login(user) -> Client:
    """A browser of its own, logged in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


def password_login(client, email, password=PASSWORD, next_url=None):
    """The portal's login form, e-mail and password, posted (then to ``next_url``)."""
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})
