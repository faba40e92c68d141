"""The yearly dossier administratif (files) and the activity catalogue with enrolments."""

from .activities import (
    Activity,
    ActivityUnit,
    ClosureDay,
    Enrolment,
    MealSubscription,
    Site,
)
from .levels import SchoolLevel
from .files import AnnualFile, FamilyQuotient, HealthDataAccess, SchoolYear

__all__ = [
    "Activity", "ActivityUnit", "AnnualFile", "ClosureDay", "Enrolment", "FamilyQuotient",
    "HealthDataAccess", "MealSubscription", "SchoolLevel", "SchoolYear", "Site",
]
