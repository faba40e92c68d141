"""The dossier administratif: starting, filling, submitting, and the staff's decisions.

Every transition locks the file, checks its state, records who and when, and writes the
e-mail to the outbox in the same transaction."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.access import owned_child
from familles.households import households_of, write_to_households
from familles.models import Child, Document, Family
from familles.services import upload_document
from familles.uploads import check_upload
from ground import french
from ground.decisions import decide

from ..models import AnnualFile, FamilyQuotient, HealthDataAccess, SchoolYear
from ..queries import files_of
from ..rules import (
    DOCUMENT_FIELDS,
    UPLOAD_KINDS,
    FileNotValidated,
    file_refusal,
    missing_items,
    upload_refusal,
)

# Copied from last year's validated file into this year's draft.
CARRIED_FIELDS = [
    "vaccinations_up_to_date", "allergies", "diet", "has_pai", "doctor_name", "doctor_phone",
    "health_notes", "photo_consent", "outings_consent", "leave_alone_consent",
    "emergency_care_consent", "shared_custody", "payer_family", "allowance_body",
    "allowance_number",
]


def require_validated_file(child, school_year) -> None:
    """The gate in front of enrolments and reservations (the brochure: "obligatoire")."""
    refusal = file_refusals([(child, school_year)]).get((child.pk, school_year.pk))
    if refusal is not None:
        raise refusal


def file_refusals(pairs) -> dict[tuple[int, int], FileNotValidated]:
    """The same gate for several (child, school year) pairs in one query: {(child id, year
    id): why}, only for those whose file does not open enrolments yet."""
    pairs = list(pairs)
    if not pairs:
        return {}
    files = {}
    for annual_file in files_of({child.pk for child, _year in pairs},
                                {year.pk for _child, year in pairs}):
        files[annual_file.child_id, annual_file.school_year_id] = annual_file  # lowest pk wins
    refusals = {}
    for child, year in pairs:
        refusal = file_refusal(child, year, files.get((child.pk, year.pk)))
        if refusal is not None:
            refusals[child.pk, year.pk] = refusal
    return refusals


@transaction.atomic
def start_annual_file(family: Family, child: Child, school_year: SchoolYear, user,
                      now=None) -> AnnualFile:
    child = owned_child(family, child.pk)
    if not school_year.campaign_is_open(now):
        raise ValidationError(
            _("Les réinscriptions pour %(year)s ouvrent le %(date)s.")
            % {"year": school_year, "date": _format_datetime(school_year.reregistration_opens_at)}
        )
    existing = AnnualFile.objects.filter(child=child, school_year=school_year).first()
    if existing:
        return existing
    annual_file = AnnualFile(child=child, school_year=school_year, school=child.school,
                             school_class=child.school_class)
    previous = _previous_validated_file(child, school_year)
    if previous is not None:
        for field in CARRIED_FIELDS:
            setattr(annual_file, field, getattr(previous, field))
        start = school_year.start_date
        for field in DOCUMENT_FIELDS:
            document = getattr(previous, field)
            if document is not None and document.is_valid_on(start):
                setattr(annual_file, field, document)
    annual_file.save()
    if previous is not None:
        annual_file.authorised_contacts.set(
            previous.authorised_contacts.filter(family__in=households_of(child)))
    return annual_file


def _previous_validated_file(child, school_year):
    return (
        AnnualFile.objects.filter(child=child, state=AnnualFile.State.VALIDATED,
                                  school_year__start_date__lt=school_year.start_date)
        .order_by("-school_year__start_date").first()
    )


def _lock(annual_file: AnnualFile) -> AnnualFile:
    return AnnualFile.objects.select_for_update(of=("self",)).select_related(
        "child__family", "child__second_family", "school_year").get(pk=annual_file.pk)


def save_draft(family: Family, annual_file: AnnualFile, data: dict, contacts, *,
               uploads: dict | None = None, user=None) -> AnnualFile:
    """Save the parent's answers; files uploaded with the form go to the vault first, outside
    the file's lock (reading 10 MB must not hold it), and are then attached."""
    _check_owner(family, annual_file)
    if not annual_file.is_editable:
        raise ValidationError(
            _("Ce dossier a été transmis au service : il ne peut plus être modifié."))
    data = dict(data)
    uploads = uploads or {}
    # Every file checked before any is stored: one refused, none enters the vault.
    refusals = {}
    for field, uploaded in uploads.items():
        try:
            check_upload(uploaded)
        except ValidationError as exc:
            refusals.update(upload_refusal(field, exc).error_dict)
    if refusals:
        raise ValidationError(refusals)
    for field, uploaded in uploads.items():
        try:
            data[field] = upload_document(
                family, uploaded=uploaded, kind=UPLOAD_KINDS[field], child=annual_file.child,
                valid_until=None, user=user,
            )
        except ValidationError as exc:
            raise upload_refusal(field, exc) from exc
    return _save_answers(family, annual_file, data, contacts)


@transaction.atomic
def _save_answers(family, annual_file, data, contacts) -> AnnualFile:
    locked = _lock(annual_file)
    _check_owner(family, locked)
    if not locked.is_editable:
        raise ValidationError(
            _("Ce dossier a été transmis au service : il ne peut plus être modifié."))
    _check_documents(family, locked, data)
    contacts = list(contacts)
    if any(c.family_id not in households_of(locked.child) for c in contacts):
        raise ValidationError(_("Choisissez parmi les personnes de votre entourage."))
    payer = data.get("payer_family")
    if payer is not None and payer.pk not in households_of(locked.child):
        raise ValidationError(_("La famille qui paie doit être l'un des foyers de l'enfant."))
    for field, value in data.items():
        setattr(locked, field, value)
    if data.get("accept_rules"):
        locked.rules_version_accepted = locked.school_year.rules_version
        locked.rules_accepted_at = timezone.now()
    locked.save()
    locked.authorised_contacts.set(contacts)
    return locked


def _check_owner(family, annual_file):
    if family.pk not in households_of(annual_file.child):
        raise ValidationError(_("Ce dossier n'appartient pas à votre famille."))


def _check_documents(family, annual_file, data):
    """A household attaches only what it may see (`Document.objects.for_child_file`); what
    the other home attached may stay as it is."""
    attached = {data[field].pk for field in DOCUMENT_FIELDS
                if data.get(field) is not None
                and data[field].pk != getattr(annual_file, f"{field}_id")}
    if not attached:
        return
    allowed = Document.objects.for_child_file(family, annual_file.child).filter(pk__in=attached)
    if allowed.count() != len(attached):
        raise ValidationError(_("Choisissez un document de votre espace."))


@transaction.atomic
def submit(family: Family, annual_file: AnnualFile, user) -> AnnualFile:
    locked = _lock(annual_file)
    _check_owner(family, locked)
    if not locked.is_editable:
        raise ValidationError(_("Ce dossier a déjà été transmis au service."))
    missing = missing_items(locked)
    if missing:
        raise ValidationError(missing)
    locked.state = AnnualFile.State.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = user
    locked.opened_at = None  # a new submission: no agent has read it yet
    locked.save()
    _notify(locked, "annual_file_submitted")
    return locked


def record_opening(annual_file: AnnualFile, now=None) -> None:
    """An agent opened the review page of a submitted file: the first time is kept (one
    conditional UPDATE, no lock: two agents opening it at once agree)."""
    AnnualFile.objects.filter(pk=annual_file.pk, state=AnnualFile.State.SUBMITTED,
                              opened_at__isnull=True).update(opened_at=now or timezone.now())


def _decide_file(annual_file, staff_user, state, comment, refusal, template) -> AnnualFile:
    return decide(
        AnnualFile.objects.select_related("child__family", "child__second_family",
                                          "school_year"),
        annual_file.pk, waiting=AnnualFile.State.SUBMITTED, state=state,
        staff_user=staff_user, comment=comment, refusal=refusal,
        notify=lambda locked: _notify(locked, template))


def validate(annual_file: AnnualFile, staff_user) -> AnnualFile:
    return _decide_file(
        annual_file, staff_user, AnnualFile.State.VALIDATED, "",
        lambda locked: _("Seul un dossier transmis peut être validé (« %(file)s » est "
                         "%(state)s).") % {"file": locked,
                                           "state": locked.get_state_display().lower()},
        "annual_file_validated")


def return_to_family(annual_file: AnnualFile, staff_user, comment: str) -> AnnualFile:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Expliquez à la famille ce qu'elle doit corriger."))
    return _decide_file(
        annual_file, staff_user, AnnualFile.State.RETURNED, comment,
        _("Seul un dossier transmis peut être renvoyé à la famille."), "annual_file_returned")


def _notify(annual_file: AnnualFile, template: str) -> None:
    write_to_households(template, annual_file.child, {
        "annual_file": annual_file, "child": annual_file.child,
        "school_year": annual_file.school_year,
    })


@transaction.atomic
def set_family_quotient(family: Family, *, value: int, valid_from, valid_until, staff_user,
                        source_document: Document | None = None) -> FamilyQuotient:
    if value is None or value < 0:
        raise ValidationError(_("Le quotient familial doit être un nombre positif."))
    if valid_until < valid_from:
        raise ValidationError(_("La fin de validité doit suivre son début."))
    if source_document is not None and source_document.family_id != family.pk:
        raise ValidationError(_("Le justificatif doit appartenir à cette famille."))
    return FamilyQuotient.objects.create(
        family=family, value=value, valid_from=valid_from, valid_until=valid_until,
        source_document=source_document, set_by=staff_user,
    )


def record_health_access(annual_file: AnnualFile | None, user, *, obj=None, model=None,
                         action=HealthDataAccess.Action.VIEW, fields=(), path="") -> None:
    """Journal one access to health data (GDPR art. 9): to a file, to another object
    (``obj``, e.g. an absence justification) or to a list of ``model``. ``fields`` names the
    health fields read, filtered, searched or sorted by; their values are never kept."""
    obj = annual_file if obj is None else obj
    model = type(obj) if obj is not None else model
    HealthDataAccess.objects.create(
        annual_file=annual_file, user=user, action=action,
        content_type=ContentType.objects.get_for_model(model) if model is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        health_fields=", ".join(fields)[:255], path=path[:255])


def _format_datetime(value):
    return french.format_day(timezone.localtime(value), "j F Y à H\\hi")


