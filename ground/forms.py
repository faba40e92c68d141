"""Form helpers every app's views use (ground module: it imports no app)."""

from django.core.exceptions import ValidationError


def form_error(form, exc: ValidationError) -> None:
    """A service's refusal, shown at the top of the form it answers."""
    for message in exc.messages:
        form.add_error(None, message)
