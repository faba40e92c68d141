"""Who reaches what: a parent's pages work on his own family, and on the children of either
of its households (shared custody), never on another family's. Reads only: views and services
of every app scope their work through here."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .households import households
from .models import Child, Family, Guardian
from .queries import children_of_family


def family_of(user) -> Family | None:
    """The user's family, through Django's reverse one-to-one `user.guardian`: the session's
    user is read with his guardian and family (familles/auth_backends.py), so that this asks
    nothing more; any other user object costs the ordinary query, cached on it by Django."""
    try:
        guardian = user.guardian
    except Guardian.DoesNotExist:
        return None
    return guardian.family


class FamilyMixin(LoginRequiredMixin):
    """Every page below works on the requesting guardian's own family, and nothing else; a
    user without a family yet is sent to create one."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.family = family_of(request.user)
            if self.family is None:
                return redirect("familles:onboarding")
        return super().dispatch(request, *args, **kwargs)


def owned_child(family: Family, child_id) -> Child:
    """The family's child (either household in shared custody), never another family's."""
    child = Child.objects.for_family(family).filter(pk=child_id).first()
    if child is None:
        raise ValidationError(_("Cet enfant n'appartient pas à votre famille."))
    return child


def require_own_child(family: Family, child: Child) -> Child:
    """The check `owned_child` makes, on a child the caller has already read."""
    if family.pk not in households(child):
        raise ValidationError(_("Cet enfant n'appartient pas à votre famille."))
    return child


def children_of(family: Family) -> list[Child]:
    """The family's children (either household in shared custody), by first name: every
    parent page starts with them."""
    return children_of_family(family.pk)
