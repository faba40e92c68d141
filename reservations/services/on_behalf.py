"""The staff acting for a family (by phone, at the counter): the parents' booking and
justification services, with a line of the family's journal naming the agent, which the
family reads in its history."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from familles import journal
from familles.households import households
from familles.models import Child, Family

from ..deadlines import format_day
from ..models import AbsenceJustification, Reservation
from .absences import justify_absence
from .booking import Outcome, book


def book_for_family(agent, family: Family, child: Child, slot_ids, *, channel,
                    join_waiting_list=True) -> list[Outcome]:
    """Book as the parent would (file, enrolment, opening, deadline, capacity and waiting
    list all hold), with the staff as the source. Each day is booked in its own short
    transaction (booking.py says why); the journal line follows, for what was done."""
    outcomes = book(family, child.pk, slot_ids, agent, join_waiting_list=join_waiting_list,
                    source=Reservation.Source.STAFF)
    confirmed = [o for o in outcomes if o.state == "confirmed"]
    waiting = [o for o in outcomes if o.state == "waiting"]
    if confirmed or waiting:
        days = ", ".join(format_day(o.slot.date) for o in confirmed + waiting)
        parts = []
        if confirmed:
            parts.append(ngettext("%(count)d jour réservé", "%(count)d jours réservés",
                                  len(confirmed)) % {"count": len(confirmed)})
        if waiting:
            parts.append(ngettext("%(count)d en liste d'attente", "%(count)d en liste d'attente",
                                  len(waiting)) % {"count": len(waiting)})
        summary = _("Réservation pour %(child)s faite par le service (%(activity)s) : "
                    "%(what)s – %(days)s") % {
            "child": child.first_name, "activity": outcomes[0].slot.activity.name,
            "what": ", ".join(parts), "days": days}
        # Each household of the child, as its summary e-mail: in shared custody the other
        # one reads it in its history too (as the grid's bookings are journaled).
        with transaction.atomic():
            for household in households(child):
                journal.record(household, summary, actor=agent, channel=channel)
    return outcomes


@transaction.atomic
def justify_for_family(agent, family: Family, reservation_id, *, reason: str, details: str,
                       caller: str, channel) -> AbsenceJustification:
    """An absence reported by phone: the parent's justification (same window, same rules),
    submitted by the agent who took the call; the caller's name goes to the journal. The
    journal does not repeat the reason (an illness is health data)."""
    caller = (caller or "").strip()
    if not caller:
        raise ValidationError(_("Indiquez le nom de la personne qui a appelé."))
    justification = justify_absence(family, reservation_id, reason=reason, details=details,
                                    user=agent)
    reservation = justification.reservation
    journal.record(family, _("Absence de %(child)s le %(day)s (%(activity)s) justifiée auprès "
                             "du service") % {
        "child": reservation.child.first_name, "day": format_day(reservation.slot.date),
        "activity": reservation.slot.activity.name},
        actor=agent, channel=channel,
        reason=_("Appel de %(caller)s, pris par %(agent)s") % {
            "caller": caller, "agent": agent.get_full_name() or agent.email})
    return justification
