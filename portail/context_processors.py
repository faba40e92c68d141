"""What the roof adds to every page's context, lazily: « Profil » (a familles page, which may
not import the roof) shows the account's pending erasure request; the query runs only on a
page that reads `pending_erasure`."""

from functools import partial

from .erasure import pending_for


def erasure(request):
    return {"pending_erasure": partial(pending_for, request.user)}
