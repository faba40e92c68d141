"""Read side of the familles app: what the family's pages show, always through the family, and
the reads every parent request makes."""

from ground import rows

from .models import Child, Document, Family, FamilyEvent, Guardian, Invitation, User


def invitations_for(user):
    """The open invitations sent to the user's address (a newcomer may join a family)."""
    return Invitation.objects.filter(email__iexact=user.email).open().select_related("family")


def invitation_by_token(token) -> Invitation | None:
    return (Invitation.objects.select_related("family", "invited_by__user")
            .filter(token=token).first())


def family_page(family: Family) -> dict:
    """« Ma famille »: guardians, children (of either household), contacts, open invitations."""
    return {
        "guardians": family.guardians.select_related("user"),
        "children": Child.objects.for_family(family).select_related("family", "second_family"),
        "contacts": family.contacts.prefetch_related("children"),
        "invitations": family.invitations.open(),
    }


def family_events(family: Family):
    """« Historique »: the household's journal, newest first."""
    return FamilyEvent.objects.filter(family=family).order_by("-at", "-pk")


def family_documents(family: Family):
    """« Mes documents »: the household's own documents."""
    return Document.objects.filter(family=family).select_related("child")



def user_with_family(user_id) -> User | None:
    """The user of this id (as a session stores it), with his guardian and family; None when
    it is no id or no user, as Django's own lookup answers."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    if not rows.row_ids([user_id]):
        return None
    # A parent (every request of the rush) in one hand-written statement. A user without a
    # guardian (staff) goes through the ORM, which alone can record "no guardian" on him.
    u, g, f = rows.table(User), rows.table(Guardian), rows.table(Family)
    sql = (f"SELECT {rows.select(User, u)}, {rows.select(Guardian, g)}, "  # noqa: S608
           f"{rows.select(Family, f)} FROM {u} JOIN {g} ON {g}.user_id = {u}.id "
           f"JOIN {f} ON {f}.id = {g}.family_id WHERE {u}.id = %s")
    found = rows.fetch(sql, [user_id])
    if not found:
        return User.objects.select_related("guardian__family").filter(
            pk=user_id).order_by().first()
    row = found[0]
    after_user = len(rows.columns(User))
    after_guardian = after_user + len(rows.columns(Guardian))
    user = rows.instance(User, row[:after_user])
    guardian = rows.instance(Guardian, row[after_user:after_guardian])
    guardian.family = rows.instance(Family, row[after_guardian:])
    user.guardian = guardian
    return user


def children_of_family(family_id) -> list[Child]:
    """The family's children (either household in shared custody), by first name: what
    `Child.objects.for_family` reads, in one hand-written statement (every parent page)."""
    sql = (f"SELECT {rows.select(Child, 'c')} FROM {rows.table(Child)} c "  # noqa: S608
           "WHERE c.family_id = %s OR c.second_family_id = %s ORDER BY c.first_name, c.id")
    return [rows.instance(Child, row) for row in rows.fetch(sql, [family_id, family_id])]


def guardian_emails(family_ids) -> list[tuple[int, str]]:
    """(family id, e-mail) of each guardian of these families, by name; the e-mail is None for
    a guardian without a login (served by post)."""
    if not family_ids:
        return []
    sql = (f"SELECT g.family_id, u.email FROM {rows.table(Guardian)} g "  # noqa: S608
           f"LEFT JOIN {rows.table(User)} u ON u.id = g.user_id "
           f"WHERE g.family_id IN ({rows.placeholders(family_ids)}) "
           "ORDER BY g.last_name, g.first_name")
    return rows.fetch(sql, list(family_ids))
