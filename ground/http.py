"""What every app's views share about answering HTTP (ground module: it imports no app)."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404


def or_404(read, *args, **kwargs):
    """What `read` returns; 404 when it finds nothing (reads and services raise the model's
    DoesNotExist: answering HTTP is the view's business)."""
    try:
        return read(*args, **kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
