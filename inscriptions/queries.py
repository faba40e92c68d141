"""The inscriptions app's reads on the booking path."""

from familles.models import Guardian

from .models import AnnualFile


def files_of(child_ids, year_ids) -> list[AnnualFile]:
    """The children's files of these school years, newest first."""
    if not child_ids or not year_ids:
        return []
    return list(AnnualFile.objects.filter(
        child_id__in=list(child_ids), school_year_id__in=list(year_ids)).order_by("-pk"))


def guardian_emails(family_ids) -> list[tuple[int, str]]:
    """(family id, e-mail) of each guardian of these families, by name."""
    if not family_ids:
        return []
    return list(Guardian.objects.filter(family_id__in=list(family_ids)).order_by(
        "last_name", "first_name").values_list("family_id", "user__email"))
