"""A family's private iCal address: created on demand, revoked at the parent's request, and
the calendar it serves (the confirmed reservations of every child the family may see)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from familles.models import Child, Family
from ground.commune import commune

from ..models import CalendarFeed, Reservation

# How far back the feed goes: calendar clients keep what they already have.
HISTORY_DAYS = 365


def feed_for(family: Family) -> CalendarFeed:
    """The family's active feed, created the first time (and after a revocation)."""
    feed = CalendarFeed.objects.filter(family=family, revoked_at__isnull=True).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(family=family)
    except IntegrityError:  # the other guardian opened the page at the same instant
        return CalendarFeed.objects.get(family=family, revoked_at__isnull=True)


@transaction.atomic
def revoke_feed(family: Family, now=None) -> int:
    """The current address stops working at once; a new one is made on the next visit."""
    return CalendarFeed.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now())


def active_feed(token: str) -> CalendarFeed | None:
    if not token:
        return None
    return CalendarFeed.objects.filter(token=token, revoked_at__isnull=True).select_related(
        "family").first()


def feed_calendar(family: Family, now=None) -> bytes:
    """The iCal text: one all-day event per confirmed reservation, with a stable UID."""
    now = now or timezone.now()
    reservations = Reservation.objects.filter(
        child__in=Child.objects.for_family(family), state=Reservation.State.CONFIRMED,
        slot__date__gte=timezone.localdate(now) - timedelta(days=HISTORY_DAYS),
    ).select_related("child", "slot__activity", "slot__unit", "slot__site").order_by(
        "slot__date", "child__first_name", "pk")
    name = commune().name
    calendar = Calendar()
    calendar.add("prodid", "-//Portail Famille//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Réservations – %(name)s") % {"name": name})
    calendar.add("x-wr-timezone", "Europe/Paris")
    for reservation in reservations:
        slot = reservation.slot
        event = Event()
        event.add("uid", f"reservation-{reservation.pk}@portail-famille")
        event.add("dtstamp", reservation.confirmed_at or reservation.created_at)
        event.add("dtstart", slot.date)
        event.add("dtend", slot.date + timedelta(days=1))
        event.add("summary", f"{reservation.child.first_name} – {slot.activity.name} "
                             f"({slot.unit.label})")
        event.add("location", ", ".join(part for part in (slot.site.name, slot.site.address)
                                        if part))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
