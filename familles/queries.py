"""The familles app's reads on every parent request."""

from ground import rows

from .models import Child, User

_BIGINT = 2**63


def user_with_family(user_id) -> User | None:
    """The user of this id (as a session stores it), with his guardian and family; None when
    it is no id or no user, as Django's own lookup answers."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    if not 0 < user_id < _BIGINT:
        return None
    return User.objects.select_related("guardian__family").filter(pk=user_id).order_by().first()


def children_of_family(family_id) -> list[Child]:
    """The family's children (either household in shared custody), by first name: what
    `Child.objects.for_family` reads, in one hand-written statement (every parent page)."""
    sql = (f"SELECT {rows.select(Child, 'c')} FROM {rows.table(Child)} c "  # noqa: S608
           "WHERE c.family_id = %s OR c.second_family_id = %s ORDER BY c.first_name, c.id")
    return [rows.instance(Child, row) for row in rows.fetch(sql, [family_id, family_id])]
