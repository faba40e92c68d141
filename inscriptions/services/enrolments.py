"""Enrolments: who may join which activity, the request, the staff's decision, withdrawal.

Eligibility is computed for a whole family in a fixed number of queries, and computed again
inside the request's transaction, so that what the page showed never decides by itself."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from familles.access import owned_child
from familles.households import email_households, households_of
from familles.models import Child, Document, Family
from ground.decisions import decide

from ..models import Activity, AnnualFile, Enrolment, SchoolLevel, SchoolYear, Site
from ..signals import enrolment_ended
from .files import file_refusal, require_validated_file


@dataclass
class CatalogueRow:
    activity: Activity
    enrolment: Enrolment | None = None
    reasons: list[str] = field(default_factory=list)
    file_url: str = ""

    @property
    def can_request(self) -> bool:
        return not self.reasons and (self.enrolment is None or not self.enrolment.is_active)


def _file_reason(child, year, annual_file) -> tuple[str, str]:
    """The gate of issue 3, reused so that every page says the same thing."""
    refusal = file_refusal(child, year, annual_file)
    return ("", "") if refusal is None else (refusal.messages[0], refusal.url)


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
            "date": date_format(year.start_date, "j F Y")})
    if activity.min_level or activity.max_level:
        level = annual_file.school_level if annual_file else None
        if level is None:
            reasons.append(_("Le niveau scolaire de %(child)s n'est pas indiqué dans son "
                             "dossier administratif %(year)s.") % {
                "child": child.first_name, "year": year})
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


def catalogue(family: Family, children, year: SchoolYear, today=None) -> list[dict]:
    """For each child: every activity of the year, with his enrolment or why he cannot enrol."""
    children = list(children)
    activities = list(Activity.objects.filter(school_year=year).select_related("school_year")
                      .prefetch_related("sites"))
    files = {f.child_id: f for f in AnnualFile.objects.filter(child__in=children,
                                                              school_year=year)}
    enrolments = latest_enrolments(children, [year])
    documents = list(Document.objects.filter(family__in=households_of(*children)))
    result = []
    for child in children:
        annual_file = files.get(child.pk)
        file_message, file_url = _file_reason(child, year, annual_file)
        rows = []
        for activity in activities:
            row = CatalogueRow(activity, enrolments.get((child.pk, activity.pk)))
            if row.enrolment is None or not row.enrolment.is_active:
                row.reasons = reasons_not_eligible(child, activity, annual_file, documents,
                                                   today)
                if file_message:
                    row.reasons.insert(0, file_message)
                    row.file_url = file_url
            rows.append(row)
        result.append({"child": child, "rows": rows, "file_message": file_message,
                       "file_url": file_url})
    return result


@transaction.atomic
def request_enrolment(family: Family, child_id: int, activity: Activity, site: Site | None,
                      user, today=None) -> Enrolment:
    """The parent's request; validated at once when the activity says so."""
    child = owned_child(family, child_id)
    year = activity.school_year
    require_validated_file(child, year)
    annual_file = AnnualFile.objects.filter(child=child, school_year=year).first()
    documents = list(Document.objects.filter(family__in=households_of(child)))
    reasons = reasons_not_eligible(child, activity, annual_file, documents, today)
    if reasons:
        raise ValidationError(reasons)
    sites = list(activity.sites.all())
    if site is None and len(sites) == 1:
        site = sites[0]
    if site is None or site not in sites:
        raise ValidationError(_("Choisissez le lieu d'accueil."))
    # The row lock on the child serialises two guardians pressing the button together.
    Child.objects.select_for_update().filter(pk=child.pk).first()
    if Enrolment.objects.filter(child=child, activity=activity,
                                state__in=Enrolment.ACTIVE_STATES).exists():
        raise ValidationError(_("%(child)s est déjà inscrit(e) à cette activité.") % {
            "child": child.first_name})
    enrolment = Enrolment(child=child, activity=activity, site=site, requested_by=user)
    if activity.auto_validated:
        enrolment.state = Enrolment.State.VALIDATED
        enrolment.decided_at = timezone.now()
        enrolment.save()
        _notify(enrolment, "enrolment_validated")
    else:
        enrolment.save()
        _notify(enrolment, "enrolment_requested")
    return enrolment


def _lock(enrolment_id) -> Enrolment:
    return Enrolment.objects.select_for_update(of=("self",)).select_related(
        "child__family", "child__second_family", "activity__school_year", "site",
    ).get(pk=enrolment_id)


def _decide_enrolment(enrolment, staff_user, state, comment, refusal, template) -> Enrolment:
    return decide(
        Enrolment.objects.select_related("child__family", "child__second_family",
                                         "activity__school_year", "site"),
        enrolment.pk, waiting=Enrolment.State.REQUESTED, state=state, staff_user=staff_user,
        comment=comment, refusal=refusal, notify=lambda locked: _notify(locked, template))


def validate_enrolment(enrolment: Enrolment, staff_user) -> Enrolment:
    return _decide_enrolment(enrolment, staff_user, Enrolment.State.VALIDATED, None,
                             _("Seule une demande en attente peut être validée."),
                             "enrolment_validated")


def refuse_enrolment(enrolment: Enrolment, staff_user, comment: str) -> Enrolment:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Expliquez à la famille pourquoi la demande est refusée."))
    return _decide_enrolment(enrolment, staff_user, Enrolment.State.REFUSED, comment,
                             _("Seule une demande en attente peut être refusée."),
                             "enrolment_refused")


@transaction.atomic
def withdraw_enrolment(family: Family, enrolment_id: int, user, now=None) -> Enrolment:
    """The parent ends an enrolment. Receivers of `enrolment_ended` (the reservations app)
    cancel what can still be cancelled, in this same transaction."""
    owned = Enrolment.objects.filter(
        pk=enrolment_id, child__in=Child.objects.for_family(family)).values_list("pk", flat=True)
    if not owned:
        raise ValidationError(_("Cette inscription n'existe pas."))
    locked = _lock(owned[0])
    if not locked.is_active:
        raise ValidationError(_("Cette inscription n'est plus en cours."))
    locked.state = Enrolment.State.WITHDRAWN
    locked.withdrawn_at = now or timezone.now()
    locked.save()
    enrolment_ended.send(sender=Enrolment, enrolment=locked, user=user, now=now)
    _notify(locked, "enrolment_withdrawn")
    return locked


def _notify(enrolment: Enrolment, template: str) -> None:
    email_households(template, enrolment.child, {
        "enrolment": enrolment, "child": enrolment.child, "activity": enrolment.activity,
    })


def latest_enrolments(children, years) -> dict[tuple[int, int], Enrolment]:
    """Each child's latest enrolment in each activity of the years, keyed by (child id,
    activity id), in the order of the activities' names: an activity can be asked for again
    after a refusal or a withdrawal. One query."""
    latest = {}
    for enrolment in Enrolment.objects.filter(
            child__in=children, activity__school_year__in=years,
    ).select_related("activity__school_year", "site").order_by(
            "activity__name", "activity_id", "requested_at", "pk"):
        latest[(enrolment.child_id, enrolment.activity_id)] = enrolment
    return latest
