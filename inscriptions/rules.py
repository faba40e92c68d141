"""Pure rules of the inscriptions app, shared by the pages that explain them (queries.py) and
the services that enforce them: who may join an activity, what a file still lacks."""

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from familles.models import Child, Document
from ground import french

from .models import Activity, AnnualFile, SchoolLevel

# The document slots of a file, and the vault type a file uploaded into each slot gets.
UPLOAD_KINDS = {
    "vaccination_document": Document.Kind.VACCINATION,
    "pai_document": Document.Kind.PAI,
    "custody_document": Document.Kind.CUSTODY_CALENDAR,
    "income_document": Document.Kind.TAX_NOTICE,
}
DOCUMENT_FIELDS = list(UPLOAD_KINDS)


class FileNotValidated(ValidationError):
    """Raised by enrolment and reservation services; carries where to go next."""

    def __init__(self, message, url):
        super().__init__(message)
        self.url = url


def file_refusal(child, school_year, annual_file) -> FileNotValidated | None:
    """Why the file (already fetched, or None) does not open enrolments yet; None if it does."""
    if annual_file is not None and annual_file.state == AnnualFile.State.VALIDATED:
        return None
    url = reverse("inscriptions:annual_file", args=[child.pk, school_year.pk])
    if annual_file is None or annual_file.state == AnnualFile.State.DRAFT:
        message = _("Le dossier administratif %(year)s %(of_child)s n'a pas encore été "
                    "transmis : complétez-le pour pouvoir inscrire et réserver.")
    elif annual_file.state == AnnualFile.State.RETURNED:
        message = _("Le service vous a renvoyé le dossier administratif %(year)s %(of_child)s "
                    "à compléter : corrigez-le pour pouvoir inscrire et réserver.")
    else:
        message = _("Le dossier administratif %(year)s %(of_child)s est en cours de "
                    "traitement : vous pourrez inscrire et réserver dès sa validation.")
    return FileNotValidated(
        message % {"year": school_year, "of_child": french.de(child.first_name)}, url)


def missing_document_reason(kind_label) -> str:
    """The reason given for a missing or expired document (pages link it to « Mes documents »)."""
    return _("Pièce à déposer dans « Mes documents » : %(kind)s.") % {"kind": kind_label}


def reasons_not_eligible(child: Child, activity: Activity, annual_file: AnnualFile | None,
                         documents: list[Document], today=None) -> list[str]:
    """Why the child cannot join the activity, in words a parent understands; [] if he can."""
    today = today or timezone.localdate()
    year = activity.school_year
    reasons = []
    if not activity.enrolment_open:
        reasons.append(_("Les inscriptions à cette activité sont fermées."))
    age = child.age_on(year.start_date)
    too_young = activity.min_age is not None and age < activity.min_age
    too_old = activity.max_age is not None and age > activity.max_age
    if too_young or too_old:
        reasons.append(_("Réservé aux enfants %(range)s (âge au %(date)s) ; %(child)s aura "
                         "%(age)s ans.") % {
            "range": activity.range_description(), "child": child.first_name, "age": age,
            "date": french.format_day(year.start_date, "j F Y")})
    if activity.min_level or activity.max_level:
        level = annual_file.school_level if annual_file else None
        if level is None:
            reasons.append(_("Le niveau scolaire %(of_child)s n'est pas indiqué dans son "
                             "dossier administratif %(year)s.") % {
                "of_child": french.de(child.first_name), "year": year})
        elif (activity.min_level and level < activity.min_level) or (
                activity.max_level and level > activity.max_level):
            reasons.append(_("Réservé aux élèves %(range)s ; %(child)s sera en %(level)s.") % {
                "range": activity.range_description(), "child": child.first_name,
                "level": SchoolLevel(level).label})
    for kind in activity.required_document_kinds:
        if not any(d.kind == kind and d.child_id in (None, child.pk)
                   and d.is_valid_on(max(today, year.start_date)) for d in documents):
            reasons.append(missing_document_reason(Document.Kind(kind).label))
    return reasons


def upload_refusal(field: str, exc: ValidationError) -> ValidationError:
    """A file refused in one of the file's document slots, the slot named in the message (a
    page has four upload fields): keyed by the slot, for the page to show it next to it."""
    document = capfirst(AnnualFile._meta.get_field(field).verbose_name)
    return ValidationError({field: [
        _("%(document)s : %(reason)s") % {"document": document, "reason": message}
        for message in exc.messages]})


def missing_items(annual_file: AnnualFile, *, accepting_rules=False) -> list[str]:
    """What the parent still has to give before submitting, in his words. `annual_file` may
    hold answers not saved yet (a form sent back with an error), `accepting_rules` the box
    ticked with them: the list then says what those answers still lack."""
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
    if (not accepting_rules
            and annual_file.rules_version_accepted != annual_file.school_year.rules_version):
        missing.append(_("Acceptez le règlement intérieur %(version)s.")
                       % {"version": annual_file.school_year.rules_version})
    return missing
