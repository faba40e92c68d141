"""What « Réserver tous les mercredis de la période » would do, read before anything is written
(issue 23): per child, the days that would be booked (and billed), put on the waiting list,
left out because full, already asked, or refused and why. The parent confirms it, then the
booking service decides again under its locks: this is a forecast with the same rules, not a
promise (a place may go meanwhile).

Two statements for all the children (their rows on these days, and what each holds on them
when a unit has hours), whatever the number of days."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ground.french import dates_text

from . import queries
from .models import Reservation
from .rules import ASKED_TOGETHER, overlap_refusal, period_for, time_refusal


@dataclass
class ChildForecast:
    child: object
    unit: object
    booked: list[date] = field(default_factory=list)  # a place now: booked and billed
    waiting: list[date] = field(default_factory=list)  # full: on the waiting list
    full: list[date] = field(default_factory=list)  # full, the waiting list not asked
    already: list[date] = field(default_factory=list)
    refused: dict[str, list[date]] = field(default_factory=dict)  # reason: its days

    @property
    def takes_anything(self) -> bool:
        return bool(self.booked or self.waiting)

    def sentences(self) -> list[str]:
        """What the parent reads before confirming, child by child."""
        name = self.child.first_name
        said = []
        if self.booked:
            said.append(ngettext(
                "%(child)s, %(unit)s : %(count)s jour réservé et facturé, le %(dates)s.",
                "%(child)s, %(unit)s : %(count)s jours réservés et facturés, les %(dates)s.",
                len(self.booked)) % {"child": name, "unit": self.unit.label,
                                     "count": len(self.booked), "dates": dates_text(self.booked)})
        else:
            said.append(_("%(child)s, %(unit)s : aucun jour réservé.") % {
                "child": name, "unit": self.unit.label})
        if self.waiting:
            said.append(ngettext(
                "%(count)s jour complet en liste d'attente (facturé seulement si une place se "
                "libère) : %(dates)s.",
                "%(count)s jours complets en liste d'attente (facturés seulement si une place "
                "se libère) : %(dates)s.", len(self.waiting)) % {
                "count": len(self.waiting), "dates": dates_text(self.waiting)})
        if self.full:
            said.append(ngettext(
                "%(count)s jour complet, non réservé : %(dates)s.",
                "%(count)s jours complets, non réservés : %(dates)s.", len(self.full)) % {
                "count": len(self.full), "dates": dates_text(self.full)})
        if self.already:
            said.append(ngettext(
                "%(count)s jour déjà demandé, inchangé : %(dates)s.",
                "%(count)s jours déjà demandés, inchangés : %(dates)s.", len(self.already)) % {
                "count": len(self.already), "dates": dates_text(self.already)})
        for reason, days in self.refused.items():
            said.append(ngettext(
                "%(count)s jour refusé (%(dates)s) : %(reason)s",
                "%(count)s jours refusés (%(dates)s) : %(reason)s", len(days)) % {
                "count": len(days), "dates": dates_text(days), "reason": reason})
        return said


def forecast(wanted, unit, periods, join_waiting_list: bool, now: datetime
             ) -> list[ChildForecast]:
    """`wanted`: [(child, his slots, read as booking reads them)]; `periods`: the activity's
    booking periods."""
    slot_ids = [slot.pk for _child, slots in wanted for slot in slots]
    existing = {(row.child_id, row.slot_id): row for row in queries.requested(
        [child.pk for child, _slots in wanted], slot_ids)}
    result = []
    for child, slots in wanted:
        plan = ChildForecast(child, unit)
        result.append(plan)
        held = queries.held_on(child.pk, {slot.date for slot in slots}) if any(
            slot.unit.has_hours for slot in slots) else []
        for slot in sorted(slots, key=lambda s: s.date):
            found = existing.get((child.pk, slot.pk))
            if found is not None and found.state != Reservation.State.CANCELLED:
                plan.already.append(slot.date)
                continue
            refusal = time_refusal(slot, period_for(slot, periods), now) or (
                overlap_refusal(child, slot, held) if held else "")
            if refusal:
                plan.refused.setdefault(refusal, []).append(slot.date)
                continue
            held.append((slot, ASKED_TOGETHER))
            if slot.free_places > 0:
                plan.booked.append(slot.date)
            elif join_waiting_list:
                plan.waiting.append(slot.date)
            else:
                plan.full.append(slot.date)
    return result
