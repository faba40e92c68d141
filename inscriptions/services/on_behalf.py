"""The staff acting for a family (by phone, at the counter): the very services the parents use,
each followed, in the same transaction as its decisive step, by a line of the family's journal
naming the agent, which the family reads in its history."""

from django.db import transaction
from django.utils.translation import gettext as _

from familles import journal
from familles.models import Child, Family

from ..models import Activity, AnnualFile, Enrolment, SchoolYear, Site
from .enrolments import request_enrolment
from .files import save_draft, start_annual_file, submit


def fill_file(agent, family: Family, child: Child, school_year: SchoolYear, *, data: dict,
              contacts, uploads: dict, send: bool, channel) -> AnnualFile:
    """Save the family's answers as the agent took them down, and submit the file if asked.
    Uploaded files go to the family's vault first (as for the parent, outside the lock)."""
    annual_file = AnnualFile.objects.filter(child=child, school_year=school_year).first()
    if annual_file is None:
        annual_file = start_annual_file(family, child, school_year, agent)
    annual_file = save_draft(family, annual_file, data, contacts, uploads=uploads, user=agent)
    names = {"year": school_year, "child": child.first_name}
    with transaction.atomic():
        if send:
            annual_file = submit(family, annual_file, agent)
            summary = _("Dossier administratif %(year)s de %(child)s rempli et transmis par "
                        "le service") % names
        else:
            summary = _("Dossier administratif %(year)s de %(child)s complété par le service "
                        "(brouillon)") % names
        journal.record(family, summary, actor=agent, channel=channel)
    return annual_file


@transaction.atomic
def enrol(agent, family: Family, child: Child, activity: Activity, site: Site | None, *,
          channel) -> Enrolment:
    """The enrolment request, as the parent would make it (file, eligibility, duplicates)."""
    enrolment = request_enrolment(family, child.pk, activity, site, agent)
    journal.record(family, _("Demande d'inscription de %(child)s à %(activity)s (%(state)s) "
                             "faite par le service") % {
        "child": child.first_name, "activity": activity.name,
        "state": enrolment.get_state_display().lower()}, actor=agent, channel=channel)
    return enrolment
