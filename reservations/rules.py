"""Pure rules shared by the calendar (what a day says) and booking (what the server
accepts): whether a day falls in a booking period, and why a child cannot book a slot now
(period, time) or at all (enrolment, site, age group). No query: callers pass what they read."""

from django.utils.translation import gettext as _

from ground import french

from .deadlines import describe, format_moment, slot_deadline


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
