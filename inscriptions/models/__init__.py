"""The yearly dossier administratif (files) and the activity catalogue with enrolments."""

from .activities import (
    Activity,
    ActivityUnit,
    ClosureDay,
    Enrolment,
    Site,
)
from .files import AnnualFile, FamilyQuotient, HealthDataAccess, SchoolYear
from .levels import SchoolLevel

__all__ = [
    "Activity", "ActivityUnit", "AnnualFile", "ClosureDay", "Enrolment", "FamilyQuotient",
    "HealthDataAccess", "SchoolLevel", "SchoolYear", "Site",
]
