"""What familles does when allauth says something happened (connected in apps.py)."""

from . import services


def release_unverified_claims(sender, request, email_address, **kwargs):
    """allauth's `email_confirmed`: the address is now proved to be this account's."""
    services.release_unverified_claims(email_address)
