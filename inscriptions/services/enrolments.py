"""Enrolments: who may join which activity, the request, the staff's decision, withdrawal.

Eligibility is computed for a whole family in a fixed number of queries, and computed again
inside the request's transaction, so that what the page showed never decides by itself."""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.access import owned_child
from familles.households import households_of, write_to_households
from familles.models import Child, Document, Family
from ground import french
from ground.decisions import decide

from ..models import Activity, AnnualFile, Enrolment, Site
from ..rules import reasons_not_eligible
from ..signals import enrolment_ended
from .files import require_validated_file


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
        raise ValidationError(_("%(child)s est déjà %(enrolled)s à cette activité.") % {
            "child": child.first_name, "enrolled": french.agree(child.sex, "inscrit")})
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
    write_to_households(template, enrolment.child, {
        "enrolment": enrolment, "child": enrolment.child, "activity": enrolment.activity,
    })


