"""A household's wishes in an allocation period (docs/allocation.md): sent and changed
during the wish window only, for its own children, on the period's slots each child could
book (validated file and enrolment, his site and age group, not closed). When they were sent
plays no part: a wish replaces the last one, nothing records who was first."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.access import owned_child
from familles.models import Family
from inscriptions.services import file_refusals

from .. import queries
from ..deadlines import format_moment
from ..models import ACTIVE_STATES, BookingPeriod, Reservation, Wish
from ..rules import eligibility_refusal


@dataclass(frozen=True)
class WishRequest:
    """One day asked for one child: a slot of the period, and optionally its rank among the
    household's wishes (1 = most wanted)."""

    child_id: int
    slot_id: int
    rank: int | None = None


def window_refusal(period: BookingPeriod, now) -> str:
    """Why wishes cannot be sent or changed now, or ""."""
    if not period.allocates:
        return _("Cette période n'est pas attribuée par vœux : réservez directement.")
    if now < period.wishes_open_at:
        return _("Les vœux ouvrent le %(moment)s.") % {
            "moment": format_moment(period.wishes_open_at)}
    if now >= period.wishes_close_at:
        return _("Les vœux sont clos depuis le %(moment)s.") % {
            "moment": format_moment(period.wishes_close_at)}
    return ""


def submit_wishes(family: Family, period_id, child_ids, wishes: list[WishRequest], user, *,
                  now=None) -> list[Wish]:
    """Replace the wishes of these children of the household (an empty list withdraws them)
    in the period by `wishes`, all or nothing: any refusal raises a ValidationError listing
    every reason, and nothing changes. Returns the children's wishes now recorded."""
    now = now or timezone.now()
    period = queries.period_with_activity(period_id)
    if period is None:
        raise ValidationError(_("Cette période n'existe pas."))
    refusal = window_refusal(period, now)
    if refusal:
        raise ValidationError(refusal)
    children = {child.pk: child for child in (owned_child(family, child_id)
                                              for child_id in set(child_ids))}
    errors = []
    year = period.activity.school_year
    for refused in file_refusals([(child, year) for child in children.values()]).values():
        errors.extend(refused.messages)
    slots = {slot.pk: slot for slot in queries.slots_by_id({w.slot_id for w in wishes})}
    enrolments = queries.validated_enrolments_of(list(children.values()), [period.activity_id])
    held = {(r.child_id, r.slot_id) for r in Reservation.objects.filter(
        child_id__in=list(children), slot_id__in=list(slots), state__in=ACTIVE_STATES)}
    seen = set()
    for wish in wishes:
        child, slot = children.get(wish.child_id), slots.get(wish.slot_id)
        if child is None:
            errors.append(_("Ce vœu concerne un enfant qui n'est pas dans la demande."))
            continue
        if (slot is None or slot.activity_id != period.activity_id
                or not period.first_day <= slot.date <= period.last_day):
            errors.append(_("Ce jour n'appartient pas à la période « %(period)s ».") % {
                "period": period.label})
            continue
        if (child.pk, slot.pk) in seen:
            continue
        seen.add((child.pk, slot.pk))
        if wish.rank is not None and not 1 <= wish.rank <= 1000:
            errors.append(_("L'ordre de préférence va de 1 à 1000."))
        refusal = (_("Fermé : %(reason)s.") % {"reason": slot.closed_reason}
                   if slot.closed else eligibility_refusal(child, slot, enrolments[child.pk]))
        if not refusal and (child.pk, slot.pk) in held:
            refusal = _("%(child)s a déjà une réservation ce jour-là.") % {
                "child": child.first_name}
        if refusal:
            errors.append(refusal)
    if errors:
        raise ValidationError(list(dict.fromkeys(errors)))  # each reason once
    with transaction.atomic():
        # The period's row lock orders submissions against the run that freezes them.
        locked = BookingPeriod.objects.select_for_update().get(pk=period.pk)
        refusal = window_refusal(locked, now)
        if refusal:
            raise ValidationError(refusal)
        Wish.objects.filter(period=period, child_id__in=list(children)).delete()
        Wish.objects.bulk_create([
            Wish(period=period, child_id=w.child_id, slot_id=w.slot_id, family=family,
                 rank=w.rank, updated_by=user)
            for w in {(w.child_id, w.slot_id): w for w in wishes}.values()])
    return list(Wish.objects.filter(period=period, child_id__in=list(children))
                .select_related("slot__unit", "child").order_by("slot__date", "child_id"))
