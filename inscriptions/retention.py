"""Retention of the dossiers' health data and of the staff's health-data access log
(docs/donnees-personnelles.md, « Durées de conservation »).

A dossier's health part is kept until the end of the school year after next (the team may
need it about an incident of the year), unless the child is still enrolled: a dossier of a
year not yet over. Then the fields are emptied, in the dossier and in its history, and its
health documents deleted when nothing else holds them."""

import logging

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from familles.retention import delete_document
from ground.commune import commune
from ground.retention import purge_access_log

from .models import AnnualFile, FamilyQuotient, HealthDataAccess

logger = logging.getLogger(__name__)

# Every health field back to what an empty dossier holds.
CLEARED_HEALTH = {
    "vaccinations_up_to_date": False, "vaccination_document": None, "allergies": "",
    "diet": AnnualFile.Diet.NONE, "has_pai": False, "pai_document": None, "doctor_name": "",
    "doctor_phone": "", "health_notes": "",
}
assert set(CLEARED_HEALTH) == set(AnnualFile.HEALTH_FIELDS)
HEALTH_DOCUMENTS = ("vaccination_document", "pai_document")
# What a document field of a dossier is held by, for the documents' own retention.
DOCUMENT_FIELDS = (*HEALTH_DOCUMENTS, "custody_document", "income_document")


def health_kept_until(annual_file: AnnualFile):
    """The end of the school year after next: two years after the dossier's year ends."""
    return annual_file.school_year.end_date + relativedelta(years=2)


def _still_enrolled(today):
    return Q(child__annual_files__school_year__end_date__gte=today)


def clear_health(annual_file: AnnualFile) -> None:
    """Empty a dossier's health part, in its history too, and delete its health documents
    when no other dossier holds them."""
    documents = [getattr(annual_file, name) for name in HEALTH_DOCUMENTS]
    AnnualFile.objects.filter(pk=annual_file.pk).update(**CLEARED_HEALTH)
    AnnualFile.history.filter(id=annual_file.pk).update(**CLEARED_HEALTH)
    for document in documents:
        if document is not None:
            delete_document(document)


def has_health():
    """Dossiers whose health part is not empty (also what an erasure plan counts)."""
    return ~Q(**{name: value for name, value in CLEARED_HEALTH.items()
                if name not in HEALTH_DOCUMENTS}) | Q(vaccination_document__isnull=False) | Q(
        pai_document__isnull=False)


@transaction.atomic
def purge_health_data(today=None) -> int:
    today = today or timezone.localdate()
    files = (AnnualFile.objects.select_for_update(of=("self",))
             .filter(has_health(), school_year__end_date__lt=today - relativedelta(years=2))
             .exclude(_still_enrolled(today))
             .select_related("school_year", "vaccination_document", "pai_document"))
    count = 0
    for annual_file in files:
        clear_health(annual_file)
        count += 1
    logger.info("Retention: health data of %d dossiers cleared", count)
    return count


@transaction.atomic
def release_expired_documents(today=None) -> int:
    """Dossiers of years over let go of the documents whose retention is over (the
    commune's months after their validity), so that the documents' retention can delete
    them. An open dossier (its year not over) keeps every document it holds."""
    today = today or timezone.localdate()
    cutoff = today - relativedelta(months=commune().retention_document_months)
    released = 0
    for name in DOCUMENT_FIELDS:
        released += AnnualFile.objects.filter(
            school_year__end_date__lt=today,
            **{f"{name}__valid_until__lt": cutoff}).update(**{name: None})
    # A quotient decision past its own validity lets go of its proof too: the decision's
    # figures (value, dates, who set it) stay, the income proof can go (PROTECT otherwise).
    released += FamilyQuotient.objects.filter(
        valid_until__lt=today, source_document__valid_until__lt=cutoff).update(
        source_document=None)
    logger.info("Retention: %d expired documents released by closed dossiers", released)
    return released


def purge_health_accesses(now=None) -> int:
    return purge_access_log(HealthDataAccess, now)


@transaction.atomic
def release_family(family_id: int) -> int:
    """A household closed (inactive, or erased on request): every dossier of its children
    loses its health part and lets go of its documents, and its quotient decisions of their
    income proofs, keeping their figures (the familles app deletes the documents next)."""
    files = AnnualFile.objects.select_for_update(of=("self",)).filter(
        child__family_id=family_id).select_related("vaccination_document", "pai_document")
    for annual_file in files:
        clear_health(annual_file)
    AnnualFile.objects.filter(child__family_id=family_id).update(
        custody_document=None, income_document=None)
    FamilyQuotient.objects.filter(family_id=family_id).update(source_document=None)
    return len(files)
