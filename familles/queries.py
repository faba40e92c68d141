"""Read side of the familles app: what the family's pages show, always through the family."""

from .models import Child, Document, Family, Invitation


def invitations_for(user):
    """The open invitations sent to the user's address (a newcomer may join a family)."""
    return Invitation.objects.filter(email__iexact=user.email).open().select_related("family")


def invitation_by_token(token) -> Invitation | None:
    return Invitation.objects.select_related("family", "invited_by").filter(token=token).first()


def family_page(family: Family) -> dict:
    """« Ma famille »: guardians, children (of either household), contacts, open invitations."""
    return {
        "guardians": family.guardians.select_related("user"),
        "children": Child.objects.for_family(family).select_related("family", "second_family"),
        "contacts": family.contacts.prefetch_related("children"),
        "invitations": family.invitations.open(),
    }


def family_documents(family: Family):
    """« Mes documents »: the household's own documents."""
    return Document.objects.filter(family=family).select_related("child")
