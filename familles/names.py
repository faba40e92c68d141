"""A household's display name: « Famille » and its guardians' surnames, in the order they
joined (« Famille Martin », « Famille Martin-Dupont »), unless staff set one. Recomputed by
each service that changes a guardian's surname or the guardians (familles.services,
familles.counter) and by the admin, so that the name stored, searched and sorted on is
always the one shown."""

from django.utils.translation import gettext as _

from .models import Family


def name_from_surnames(surnames) -> str:
    distinct = []
    for surname in surnames:
        surname = " ".join((surname or "").split())
        if surname and surname.casefold() not in (s.casefold() for s in distinct):
            distinct.append(surname)
    return _("Famille %(name)s") % {"name": "-".join(distinct)} if distinct else _("Famille")


def current_name(family: Family) -> str:
    """The name the family should bear now: the one staff set, or its guardians'."""
    if family.name_set_by_staff:
        return family.name
    return name_from_surnames(
        family.guardians.order_by("pk").values_list("last_name", flat=True))


def follow_guardians(family: Family) -> None:
    """Give the family the name its guardians make, unless staff set one (called inside the
    caller's transaction)."""
    name = current_name(family)
    if name != family.name:
        family.name = name
        family.save(update_fields=["name"])
