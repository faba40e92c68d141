"""The inscriptions app's reads on the booking path, in hand-written SQL (ground/rows.py)."""

from familles.models import Guardian, User
from ground import rows

from .models import AnnualFile


def files_of(child_ids, year_ids) -> list[AnnualFile]:
    """The children's files of these school years, newest first."""
    if not child_ids or not year_ids:
        return []
    sql = (f"SELECT {rows.select(AnnualFile, 'f')} FROM {rows.table(AnnualFile)} f "  # noqa: S608
           f"WHERE f.child_id IN ({', '.join(['%s'] * len(child_ids))}) "
           f"AND f.school_year_id IN ({', '.join(['%s'] * len(year_ids))}) ORDER BY f.id DESC")
    return [rows.instance(AnnualFile, row)
            for row in rows.fetch(sql, [*child_ids, *year_ids])]


def guardian_emails(family_ids) -> list[tuple[int, str]]:
    """(family id, e-mail) of each guardian of these families, by name."""
    if not family_ids:
        return []
    sql = (f"SELECT g.family_id, u.email FROM {rows.table(Guardian)} g "  # noqa: S608
           f"LEFT JOIN {rows.table(User)} u ON u.id = g.user_id "
           f"WHERE g.family_id IN ({', '.join(['%s'] * len(family_ids))}) "
           "ORDER BY g.last_name, g.first_name")
    return rows.fetch(sql, list(family_ids))
