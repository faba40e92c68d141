"""Pure rules shared by the calendar (what a day says) and booking (what the server
accepts): whether a day falls in a booking period, and why a child cannot book a slot now
(period, time) or at all (enrolment, site, age group), or because he holds another unit at the
same time. No query: callers pass what they read."""

from django.utils.translation import gettext as _

from ground import french

from .deadlines import describe, format_date, format_moment, slot_deadline


def period_for(slot, periods):
    """The booking period of the slot's activity that holds its date, or None."""
    for period in periods:
        if (period.activity_id == slot.activity_id
                and period.first_day <= slot.date <= period.last_day):
            return period
    return None


def time_refusal(slot, period, now, *, check_period=True, past_limits=False) -> str:
    """Why the slot cannot be booked now, or "" (the server's word, whatever the page said).

    `past_limits`: staff booking with a recorded reason (the front desk) may go past the
    parents' limits, the period's close and the deadline, and book a day no period covers;
    a closed day, and a period not open yet, still refuse them (the opening is everyone's)."""
    if slot.closed:
        return _("Fermé : %(reason)s.") % {"reason": slot.closed_reason or _("accueil fermé")}
    if check_period:
        if period is None:
            if not past_limits:
                return _("Les réservations de ce jour ne sont pas encore programmées.")
        elif period.mode == "allocation" and period.allocation_published_at is None:
            # Until the allocation is published, its places belong to the draw, staff too.
            return _("Les places de cette période sont attribuées sur vœux, selon les règles "
                     "de la commune et un tirage au sort : le résultat n'est pas encore "
                     "publié.")
        elif now < period.opens_at:
            return _("Les réservations ouvrent le %(moment)s.") % {
                "moment": format_moment(period.opens_at)}
        elif period.closes_at and now >= period.closes_at and not past_limits:
            return _("Les réservations de cette période sont closes depuis le %(moment)s.") % {
                "moment": format_moment(period.closes_at)}
    if past_limits:
        return ""
    rule = getattr(slot.activity, "deadline_rule", None)
    deadline = slot_deadline(slot)
    if now >= deadline:
        return _("Hors délai : il fallait réserver ou annuler avant le %(moment)s "
                 "(%(rule)s).") % {"moment": format_moment(deadline), "rule": describe(rule)}
    return ""


def past_parent_limits(slot, period, now) -> bool:
    """Whether only staff, with a reason, may book this slot now: refused to parents,
    allowed past their limits."""
    return bool(time_refusal(slot, period, now)) and not time_refusal(slot, period, now,
                                                                        past_limits=True)


def eligibility_refusal(child, slot, enrolments: dict) -> str:
    """Why this child cannot take this slot at all (enrolment, site, age group), or "".
    `enrolments`: his validated enrolments by activity id."""
    enrolment = enrolments.get(slot.activity_id)
    if enrolment is None:
        return _("%(child)s n'est pas %(enrolled)s à %(activity)s.") % {
            "child": child.first_name, "activity": slot.activity.name,
            "enrolled": french.agree(child.sex, "inscrit")}
    if enrolment.site_id != slot.site_id:
        return _("Ce créneau est à %(site)s, pas au lieu d'inscription %(of_child)s.") % {
            "site": slot.site, "of_child": french.de(child.first_name)}
    group = slot.age_group
    if group is not None and not (group.min_age <= child.age_on(slot.date) <= group.max_age):
        return _("Ce créneau est réservé au groupe « %(group)s ».") % {"group": group.label}
    return ""


# --- one child, one place at a time ----------------------------------------------------------
# A unit's hours (ActivityUnit.starts_at/ends_at) say when the child is there. Two units
# overlap when their hours meet (a morning ending at 12:00 and an afternoon starting at 12:00
# do not), or when they are the same unit (the same morning at two sites). A unit without
# hours is compared with no other: nothing says when it is held, and refusing on a guess
# would stop a canteen meal and an evening care that never meet.

def units_overlap(first, second) -> bool:
    if first.pk == second.pk:
        return True
    if not (first.has_hours and second.has_hours):
        return False
    return first.starts_at < second.ends_at and second.starts_at < first.ends_at


def hours_text(unit) -> str:
    """"8 h 30 – 12 h", or "" without hours."""
    if not unit.has_hours:
        return ""
    return f"{_clock(unit.starts_at)} – {_clock(unit.ends_at)}"


def _clock(moment) -> str:
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


ASKED_TOGETHER = "asked"  # a state for `held`: asked in the same booking, just before


def overlapping(slot, held):
    """The first (slot, state) of `held` at the same time as this slot on its day, or None.
    `held`: as for `overlap_refusal`."""
    for other, state in held:
        if other.pk != slot.pk and other.date == slot.date and units_overlap(slot.unit,
                                                                             other.unit):
            return other, state
    return None


def overlap_refusal(child, slot, held) -> str:
    """Why the child cannot take this slot because he already holds another at the same
    time, naming it, or "". `held`: (slot, reservation state) of what the child holds,
    confirmed or waiting, or ASKED_TOGETHER (slots of other days are ignored); each slot
    with its unit and activity."""
    found = overlapping(slot, held)
    if found is not None:
        other, state = found
        female = getattr(child, "sex", "") == "F"
        if state == ASKED_TOGETHER:
            text = _("Le %(day)s, %(child)s ne peut pas être à la fois en %(unit)s "
                     "(%(activity)s%(hours)s) et en %(this)s, demandés ensemble.")
        elif state == "waiting":
            text = _("%(child)s est déjà en liste d'attente le %(day)s en %(unit)s "
                     "(%(activity)s%(hours)s), qui chevauche %(this)s.")
        elif female:
            text = _("%(child)s est déjà réservée le %(day)s en %(unit)s "
                     "(%(activity)s%(hours)s), qui chevauche %(this)s.")
        else:
            text = _("%(child)s est déjà réservé le %(day)s en %(unit)s "
                     "(%(activity)s%(hours)s), qui chevauche %(this)s.")
        hours = hours_text(other.unit)
        these = hours_text(slot.unit)
        return text % {
            "child": child.first_name, "day": format_date(slot.date, "l j F"),
            "unit": other.unit.label, "activity": other.activity.name,
            "hours": f", {hours}" if hours else "",
            "this": f"{slot.unit.label} ({these})" if these else slot.unit.label}
    return ""
