"""Scenarios for the admin's health-data guard (GDPR art. 9): staff without the permission,
the health data the commune lists, and the shortest lookup path from any model to it."""

from collections import deque

from django.apps import apps
from django.contrib import admin

from tests.scenarios.accounts import StaffFactory, staff_without
from tests.scenarios.enrolments import AnnualFileFactory
from tests.scenarios.families import ChildFactory

HEALTH_CODENAMES = ("view_health_data", "view_health_document")

# What the commune counts as health data, written here by hand on purpose: a field the code
# forgets to declare is then noticed by the tests instead of silently trusted.
EXPECTED_HEALTH_FIELDS = {
    "inscriptions.AnnualFile": {"vaccinations_up_to_date", "vaccination_document", "allergies",
                                "diet", "has_pai", "pai_document", "doctor_name",
                                "doctor_phone", "health_notes"},
    "reservations.AbsenceJustification": {"reason", "details", "document"},
    "familles.Document": {"kind", "original_name", "file"},
    "reservations.AllocationPriority": {"note"},
}


def staff_without_health():
    """A member of the staff with every permission of the group but the health ones."""
    return staff_without(*HEALTH_CODENAMES)


def health_staff():
    """A member of the staff group, which holds the health permissions."""
    return StaffFactory()


def registered_admins():
    """Every ModelAdmin of the portal's admin site, through its public API."""
    return [admin.site.get_model_admin(model) for model in apps.get_models()
            if admin.site.is_registered(model)]


def relation_path(source, target, max_hops=4):
    """The shortest lookup path (``a__b``) from ``source`` to ``target`` through relations,
    forward and reverse; "" when they are the same model, None when out of reach."""
    seen, queue = {source}, deque([(source, [])])
    while queue:
        model, path = queue.popleft()
        if model is target:
            return "__".join(path)
        if len(path) == max_hops:
            continue
        for field in model._meta.get_fields():
            related = field.related_model if field.is_relation else None
            if related is None or related in seen:
                continue
            seen.add(related)
            queue.append((related, [*path, field.name]))
    return None


def health_lookups(model):
    """A lookup reaching each expected health field from ``model`` by its shortest path."""
    lookups = []
    for label, fields in EXPECTED_HEALTH_FIELDS.items():
        path = relation_path(model, apps.get_model(label))
        if path is None:
            continue
        for field in sorted(fields):
            lookups.append("__".join(p for p in (path, field, "isnull") if p))
    return lookups


def two_children_with_allergies(family):
    """Anna is allergic to « zeste », Zoé to « arachide »: sorting by allergies puts Zoé
    first, by name Anna."""
    anna = ChildFactory(family=family, first_name="Anna", last_name="Aubry")
    zoe = ChildFactory(family=family, first_name="Zoé", last_name="Zédé")
    AnnualFileFactory(child=anna, allergies="zeste", health_notes="")
    AnnualFileFactory(child=zoe, allergies="arachide", health_notes="")
    return anna, zoe
