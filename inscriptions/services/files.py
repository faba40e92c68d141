"""The dossier administratif: starting, filling, submitting, and the staff's decisions.

Every transition locks the file, checks its state, records who and when, and writes the
e-mail to the outbox in the same transaction."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from familles.models import Child, Contact, Document, Family
from familles.services import owned_child, upload_document
from ground.models import OutboxMessage
from ground.outbox import queue_email

from ..models import AnnualFile, FamilyQuotient, HealthDataAccess, SchoolYear
from ..queries import files_of, guardian_emails

# Copied from last year's validated file into this year's draft.
CARRIED_FIELDS = [
    "vaccinations_up_to_date", "allergies", "diet", "has_pai", "doctor_name", "doctor_phone",
    "health_notes", "photo_consent", "outings_consent", "leave_alone_consent",
    "emergency_care_consent", "shared_custody", "payer_family", "allowance_body",
    "allowance_number",
]
# The document slots of a file, and the vault type a file uploaded into each slot gets.
UPLOAD_KINDS = {
    "vaccination_document": Document.Kind.VACCINATION,
    "pai_document": Document.Kind.PAI,
    "custody_document": Document.Kind.CUSTODY_CALENDAR,
    "income_document": Document.Kind.TAX_NOTICE,
}
DOCUMENT_FIELDS = list(UPLOAD_KINDS)


def file_rows(children, years=None) -> list[dict]:
    """For each open school year and each child: the file, or None if not started."""
    if years is None:
        years = list(SchoolYear.objects.open_for_files())
    existing = {
        (f.child_id, f.school_year_id): f
        for f in AnnualFile.objects.filter(child__in=children, school_year__in=years)
    }
    return [
        {"child": child, "year": year, "file": existing.get((child.pk, year.pk))}
        for year in years for child in children
    ]


def has_validated_file(child, school_year) -> bool:
    return AnnualFile.objects.filter(
        child=child, school_year=school_year, state=AnnualFile.State.VALIDATED
    ).exists()


class FileNotValidated(ValidationError):
    """Raised by enrolment and reservation services; carries where to go next."""

    def __init__(self, message, url):
        super().__init__(message)
        self.url = url


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


def file_refusal(child, school_year, annual_file) -> FileNotValidated | None:
    """Why the file (already fetched, or None) does not open enrolments yet; None if it does."""
    if annual_file is not None and annual_file.state == AnnualFile.State.VALIDATED:
        return None
    url = reverse("inscriptions:annual_file", args=[child.pk, school_year.pk])
    if annual_file is None or annual_file.state == AnnualFile.State.DRAFT:
        message = _("Le dossier administratif %(year)s de %(child)s n'a pas encore été "
                    "transmis : complétez-le pour pouvoir inscrire et réserver.")
    elif annual_file.state == AnnualFile.State.RETURNED:
        message = _("Le service vous a renvoyé le dossier administratif %(year)s de %(child)s "
                    "à compléter : corrigez-le pour pouvoir inscrire et réserver.")
    else:
        message = _("Le dossier administratif %(year)s de %(child)s est en cours de "
                    "traitement : vous pourrez inscrire et réserver dès sa validation.")
    return FileNotValidated(message % {"year": school_year, "child": child.first_name}, url)


def email_households(template: str, child, context: dict, *,
                     content=OutboxMessage.Content.ORDINARY) -> None:
    """Queue the e-mail to each household of the child, one message each: in shared custody
    the two households are both told, and neither sees the other's addresses."""
    emails = household_emails([child])
    for household in households(child):
        queue_email(template, emails[household], context, content=content)


def households(child) -> list[int]:
    """The child's household, then his second one in shared custody."""
    return [h for h in (child.family_id, child.second_family_id) if h]


def household_emails(children) -> dict[int, list[str]]:
    """{household id: its guardians' e-mails} for every household of these children, in one
    query."""
    wanted = {h for child in children for h in households(child)}
    emails: dict[int, list[str]] = {h: [] for h in wanted}
    for family_id, email in guardian_emails(wanted):
        emails[family_id].append(email)
    return emails


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
            previous.authorised_contacts.filter(family__in=families_of(child)))
    return annual_file


def _previous_validated_file(child, school_year):
    return (
        AnnualFile.objects.filter(child=child, state=AnnualFile.State.VALIDATED,
                                  school_year__start_date__lt=school_year.start_date)
        .order_by("-school_year__start_date").first()
    )


def families_of(*children) -> set[int]:
    """The households (family ids) of children: each one's family, and the second one in
    shared custody."""
    return {f for c in children for f in (c.family_id, c.second_family_id) if f}


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
    for field, uploaded in (uploads or {}).items():
        data[field] = upload_document(
            family, uploaded=uploaded, kind=UPLOAD_KINDS[field], child=annual_file.child,
            valid_until=None, user=user,
        )
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
    if any(c.family_id not in families_of(locked.child) for c in contacts):
        raise ValidationError(_("Choisissez parmi les personnes de votre entourage."))
    payer = data.get("payer_family")
    if payer is not None and payer.pk not in families_of(locked.child):
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
    if family.pk not in families_of(annual_file.child):
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


def attached_documents(family: Family, annual_file: AnnualFile) -> list[str]:
    """The file's documents as this household may read them: by name when it may see them,
    by kind only when the other home attached one of its own."""
    documents = [getattr(annual_file, field) for field in DOCUMENT_FIELDS
                 if getattr(annual_file, f"{field}_id")]
    visible = set(Document.objects.for_child_file(family, annual_file.child).filter(
        pk__in=[d.pk for d in documents]).values_list("pk", flat=True))
    return [str(d) if d.pk in visible
            else _("%(kind)s (joint par l'autre foyer)") % {"kind": d.get_kind_display()}
            for d in documents]


def missing_items(annual_file: AnnualFile) -> list[str]:
    """What the parent still has to give before submitting, in his words."""
    missing = []
    if not annual_file.vaccinations_up_to_date:
        missing.append(_("Confirmez que les vaccinations obligatoires sont à jour."))
    if annual_file.vaccination_document_id is None:
        missing.append(_("Joignez la copie du carnet de vaccination."))
    if annual_file.has_pai and annual_file.pai_document_id is None:
        missing.append(_("Joignez le document du PAI."))
    if annual_file.shared_custody and annual_file.custody_document_id is None:
        missing.append(_("Joignez le calendrier de garde alternée."))
    if annual_file.income_document_id is None:
        missing.append(_("Joignez un justificatif de revenus (avis d'imposition, attestation "
                         "CAF ou MSA)."))
    if (annual_file.allowance_body != AnnualFile.AllowanceBody.NONE
            and not annual_file.allowance_number):
        missing.append(_("Indiquez votre numéro d'allocataire."))
    if not annual_file.school:
        missing.append(_("Indiquez l'école de l'enfant."))
    if annual_file.rules_version_accepted != annual_file.school_year.rules_version:
        missing.append(_("Acceptez le règlement intérieur %(version)s.")
                       % {"version": annual_file.school_year.rules_version})
    return missing


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
    locked.save()
    _notify(locked, "annual_file_submitted")
    return locked


@transaction.atomic
def validate(annual_file: AnnualFile, staff_user) -> AnnualFile:
    locked = _lock(annual_file)
    if locked.state != AnnualFile.State.SUBMITTED:
        raise ValidationError(_("Seul un dossier transmis peut être validé (« %(file)s » est "
                                "%(state)s).") % {"file": locked,
                                                  "state": locked.get_state_display().lower()})
    locked.state = AnnualFile.State.VALIDATED
    locked.decided_at = timezone.now()
    locked.decided_by = staff_user
    locked.staff_comment = ""
    locked.save()
    _notify(locked, "annual_file_validated")
    return locked


@transaction.atomic
def return_to_family(annual_file: AnnualFile, staff_user, comment: str) -> AnnualFile:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Expliquez à la famille ce qu'elle doit corriger."))
    locked = _lock(annual_file)
    if locked.state != AnnualFile.State.SUBMITTED:
        raise ValidationError(_("Seul un dossier transmis peut être renvoyé à la famille."))
    locked.state = AnnualFile.State.RETURNED
    locked.decided_at = timezone.now()
    locked.decided_by = staff_user
    locked.staff_comment = comment
    locked.save()
    _notify(locked, "annual_file_returned")
    return locked


def _notify(annual_file: AnnualFile, template: str) -> None:
    email_households(template, annual_file.child, {
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


def family_quotient_on(family: Family, day) -> FamilyQuotient | None:
    """The quotient in force on a day: the most recently set one covering it."""
    return (
        FamilyQuotient.objects.filter(family=family, valid_from__lte=day, valid_until__gte=day)
        .order_by("-set_at").first()
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
    return date_format(timezone.localtime(value), "j F Y à H\\hi")


def contacts_for_child(child):
    return Contact.objects.filter(family__in=families_of(child))
