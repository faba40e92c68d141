"""What the parent's home page shows: each app contributes what the family has to do next."""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from facturation.queries import split_invoices
from facturation.services.payments import not_configured_message, online_payment_available
from familles.models import Child, Document
from ground import french
from inscriptions.models import AnnualFile, Enrolment, SchoolYear
from inscriptions.queries import file_rows, latest_enrolments
from reservations import allocation_pages
from reservations.models import AbsenceJustification
from reservations.services.absences import family_justifications

from .queries import recent_messages

# The dashboard keeps the paid invoices and the decided justifications of the last weeks;
# the full lists are on « Mes factures » and « Absences ».
PAID_INVOICES_SHOWN = 3
DECIDED_JUSTIFICATIONS_DAYS = 30
JUSTIFICATIONS_SHOWN = 10


def family_dashboard(family) -> dict:
    children = list(Child.objects.for_family(family))
    todo = []
    if not children:
        todo.append({"text": _("Ajoutez vos enfants pour pouvoir les inscrire."),
                     "url": reverse("familles:child_add"), "action": _("Ajouter un enfant")})
    if not family.contacts.exists():
        todo.append({
            "text": _("Indiquez les personnes autorisées à venir chercher vos enfants ou à "
                      "appeler en cas d'urgence."),
            "url": reverse("familles:contact_add"), "action": _("Compléter l'entourage"),
        })
    if not Document.objects.filter(family=family, kind__in=Document.INCOME_KINDS).exists():
        todo.append({
            "text": _("Déposez un justificatif de revenus (avis d'imposition, attestation CAF "
                      "ou MSA) pour le calcul de votre quotient familial."),
            "url": reverse("familles:documents") + "?type=tax_notice",
            "action": _("Envoyer un document"),
        })
    years = list(SchoolYear.objects.open_for_files())
    files = _annual_files(children, years, todo)
    now = timezone.now()
    _allocations(family, children, now, todo)
    to_pay, settled = split_invoices(family, timezone.localdate(now))
    return {"family": family, "children": children, "todo": todo, "annual_files": files,
            "enrolments": _enrolments(children, years),
            "invoices_to_pay": to_pay, "invoices_paid": settled[:PAID_INVOICES_SHOWN],
            "has_invoices": bool(to_pay or settled),
            "online_payment": online_payment_available(),
            "not_configured": not_configured_message(),
            "justifications": _justifications(family, now),
            "service_messages": recent_messages(family.pk, now)}


def _allocations(family, children, now, todo) -> None:
    """Where the household can wish now, and where a result is published."""
    for notice in allocation_pages.household_periods(family, children, now):
        url = reverse("reservations:wishes", args=[notice.period.pk])
        names = get_text_list([c.first_name for c in notice.children], _("et"))
        if notice.state == allocation_pages.OPEN:
            todo.append({"url": url, "action": _("Faire mes vœux"), "text": _(
                "%(activity)s, « %(period)s » : vœux ouverts jusqu'au %(moment)s pour "
                "%(names)s. Les places sont attribuées selon les règles de la commune et un "
                "tirage au sort : être le premier ne donne aucun avantage.") % {
                "activity": notice.period.activity.name, "period": notice.period.label,
                "moment": notice.close_text, "names": names}})
        elif notice.state == allocation_pages.PUBLISHED and notice.can_decline(now):
            todo.append({"url": url, "action": _("Voir le résultat"), "text": _(
                "%(activity)s, « %(period)s » : le résultat de l'attribution est publié ; "
                "vous pouvez renoncer à un jour attribué jusqu'au %(moment)s.") % {
                "moment": notice.decline_text,
                "activity": notice.period.activity.name, "period": notice.period.label}})


def _justifications(family, now) -> list:
    """The absence justifications still examined, and those decided lately (one query)."""
    recent = now - timedelta(days=DECIDED_JUSTIFICATIONS_DAYS)
    return list(family_justifications(family).filter(
        Q(state=AbsenceJustification.State.SUBMITTED) | Q(decided_at__gte=recent)
    )[:JUSTIFICATIONS_SHOWN])


def _annual_files(children, years, todo):
    """The dossier administratif of each child for each open year, and the ones to do."""
    rows = file_rows(children, years)
    for row in rows:
        names = {"year": row["year"], "of_child": french.de(row["child"].first_name)}
        if row["file"] is not None and row["file"].state == AnnualFile.State.RETURNED:
            todo.append({
                "text": _("Le service vous a renvoyé le dossier administratif %(year)s "
                          "%(of_child)s à compléter.") % names,
                "comment": row["file"].staff_comment,
                "url": reverse("inscriptions:annual_file",
                               args=[row["child"].pk, row["year"].pk]),
                "action": _("Corriger le dossier"),
            })
        elif row["file"] is None or row["file"].is_editable:
            todo.append({
                "text": _("Complétez le dossier administratif %(year)s %(of_child)s : il "
                          "est obligatoire pour inscrire et réserver.") % names,
                "url": reverse("inscriptions:annual_file",
                               args=[row["child"].pk, row["year"].pk]),
                "action": _("Dossier administratif"),
            })
    return rows


def _enrolments(children, years) -> list[dict]:
    """Per child, his enrolments of the open years (the latest per activity, withdrawn ones
    left out): one query whatever the number of children."""
    latest = latest_enrolments(children, years) if children and years else {}
    by_child = {child.pk: [] for child in children}
    for enrolment in latest.values():
        if enrolment.state != Enrolment.State.WITHDRAWN:
            by_child[enrolment.child_id].append(enrolment)
    return [{"child": child, "enrolments": by_child[child.pk]} for child in children]
