"""The canteen subscription: fixed weekdays booked for the rest of the school year.

A change applies from the first day still open under the canteen's deadline: days already
past their deadline are never touched. Only the subscription's own bookings are cancelled
when a weekday is dropped; days the parent booked by hand stay. Days of booking periods that
have not opened yet are booked when they open (`apply_opened_periods`, run by beat)."""

import logging
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.households import write_to_households
from familles.models import Child, Family
from inscriptions.models import Enrolment

from ..deadlines import deadline_for, format_day
from ..models import BookingPeriod, MealSubscription, Reservation, Slot
from .booking import book, release

logger = logging.getLogger(__name__)


def first_open_day(activity, now) -> date:
    """The first day of the activity's year whose booking deadline has not passed yet."""
    rule = getattr(activity, "deadline_rule", None)
    day = max(timezone.localdate(now), activity.school_year.start_date)
    while now >= deadline_for(rule, day):
        day += timedelta(days=1)
    return day


def _owned_enrolment(family: Family, enrolment_id) -> Enrolment:
    enrolment = Enrolment.objects.filter(
        pk=enrolment_id, child__in=Child.objects.for_family(family)
    ).select_related("activity__school_year", "activity__deadline_rule", "child", "site").first()
    if enrolment is None:
        raise ValidationError(_("Cette inscription n'existe pas."))
    return enrolment


def _subscription_slots(enrolment: Enrolment, weekdays, first: date, now) -> list[Slot]:
    """The enrolment's slots from `first` on the given weekdays, in periods already open."""
    activity = enrolment.activity
    unit = activity.units.order_by("position", "pk").first()
    opened = list(BookingPeriod.objects.filter(activity=activity, opens_at__lte=now))
    slots = Slot.objects.filter(activity=activity, site=enrolment.site, unit=unit,
                                date__gte=first, closed=False).order_by("date")
    return [s for s in slots if s.date.weekday() in weekdays
            and any(p.first_day <= s.date <= p.last_day for p in opened)]


def _days_to_book(enrolment: Enrolment, weekdays, first: date, now, *,
                  rebook_weekdays=()) -> list[Slot]:
    """The subscription's days still to book: those no reservation ever touched, and on
    `rebook_weekdays` (days the parent has just added) those cancelled before. A day the
    parent cancelled by hand is otherwise left alone, so applying again repairs an
    interrupted run without undoing the parent's choices."""
    slots = _subscription_slots(enrolment, weekdays, first, now)
    rows = dict(Reservation.objects.of_children_on([enrolment.child_id], [s.pk for s in slots])
                .values_list("slot_id", "state"))
    return [s for s in slots if s.pk not in rows or (
        rows[s.pk] == Reservation.State.CANCELLED and s.date.weekday() in rebook_weekdays)]


def _book_days(family, enrolment, slots, user, now) -> int:
    if not slots:
        return 0
    outcomes = book(family, enrolment.child_id, [s.pk for s in slots], user,
                    join_waiting_list=True, now=now, source=Reservation.Source.SUBSCRIPTION,
                    check_period=False, notify=False)
    return sum(1 for o in outcomes if o.changed)


def _release_from(enrolment, first: date, user, now, *, weekdays=None, source=None) -> int:
    """Cancel the enrolment's bookings from `first` on (those days are still before their
    deadline), optionally only some weekdays or only one source; returns how many."""
    reservations = Reservation.objects.filter(
        child_id=enrolment.child_id, slot__activity=enrolment.activity, slot__date__gte=first,
        state__in=[Reservation.State.CONFIRMED, Reservation.State.WAITING],
    )
    if source is not None:
        reservations = reservations.filter(source=source)
    count = 0
    for reservation_id, day in reservations.values_list("pk", "slot__date"):
        if weekdays is None or day.weekday() in weekdays:
            release(reservation_id, user, now=now)
            count += 1
    return count


def subscribe(family: Family, enrolment_id, weekdays, user, *, now=None) -> MealSubscription:
    """Create or change the subscription; book the new weekdays, cancel the dropped ones."""
    now = now or timezone.now()
    enrolment = _owned_enrolment(family, enrolment_id)
    activity = enrolment.activity
    if not activity.allows_subscription:
        raise ValidationError(_("Cette activité ne propose pas d'abonnement."))
    if enrolment.state != Enrolment.State.VALIDATED:
        raise ValidationError(_("L'abonnement est possible une fois l'inscription validée."))
    weekdays = sorted({int(d) for d in weekdays})
    if not weekdays:
        raise ValidationError(_("Choisissez au moins un jour, ou arrêtez l'abonnement."))
    if any(d not in activity.weekdays for d in weekdays):
        raise ValidationError(_("La cantine ne fonctionne pas tous les jours choisis."))
    first = first_open_day(activity, now)
    with transaction.atomic():
        subscription = MealSubscription.objects.select_for_update().filter(
            enrolment=enrolment).first()
        previous = set(subscription.weekdays) if subscription and subscription.active else set()
        if subscription is None:
            subscription = MealSubscription(enrolment=enrolment)
        subscription.weekdays = weekdays
        subscription.active = True
        subscription.applies_from = first
        subscription.updated_by = user
        subscription.save()
        # Written with the decision (DESIGN.md, "Messages"); the days themselves follow, each
        # in its own short booking transaction.
        write_to_households("meal_subscription_changed", enrolment.child, {
            "child": enrolment.child, "subscription": subscription, "activity": activity,
            "first_day": format_day(first),
        })
    dropped = previous - set(weekdays)
    if dropped:
        _release_from(enrolment, first, user, now, weekdays=dropped,
                      source=Reservation.Source.SUBSCRIPTION)
    added = set(weekdays) - previous
    _book_days(family, enrolment, _days_to_book(
        enrolment, weekdays, first, now, rebook_weekdays=added), user, now)
    return subscription


def end_subscription(family: Family, enrolment_id, user, *, now=None) -> MealSubscription:
    """Stop the subscription: its bookings from the first open day on are cancelled."""
    now = now or timezone.now()
    enrolment = _owned_enrolment(family, enrolment_id)
    first = first_open_day(enrolment.activity, now)
    with transaction.atomic():
        subscription = MealSubscription.objects.select_for_update().filter(
            enrolment=enrolment, active=True).first()
        if subscription is None:
            raise ValidationError(_("Il n'y a pas d'abonnement en cours."))
        subscription.active = False
        subscription.applies_from = first
        subscription.updated_by = user
        subscription.save()
        write_to_households("meal_subscription_ended", enrolment.child, {
            "child": enrolment.child, "activity": enrolment.activity,
            "first_day": format_day(first),
        })
    _release_from(enrolment, first, user, now, source=Reservation.Source.SUBSCRIPTION)
    return subscription


def end_for_enrolment(enrolment: Enrolment, user, now=None) -> None:
    """An enrolment withdrawn: its subscription stops and future bookings that can still be
    cancelled are cancelled (receiver of `enrolment_ended`, inside its transaction)."""
    now = now or timezone.now()
    first = first_open_day(enrolment.activity, now)
    MealSubscription.objects.filter(enrolment=enrolment, active=True).update(
        active=False, applies_from=first, updated_by=user)
    _release_from(enrolment, first, user, now)


def apply_opened_periods(now=None) -> int:
    """Book active subscriptions into booking periods that have just opened (beat, safe to
    run twice: days already holding a reservation, even a cancelled one, are left alone)."""
    now = now or timezone.now()
    count = 0
    periods = BookingPeriod.objects.filter(
        opens_at__lte=now, subscriptions_applied_at__isnull=True,
        activity__allows_subscription=True).exclude(
        # An allocation period's places go to the draw first; subscriptions take what
        # remains once it is published (docs/allocation.md).
        mode=BookingPeriod.Mode.ALLOCATION, allocation_published_at__isnull=True)
    for period in periods:
        subscriptions = MealSubscription.objects.filter(
            active=True, enrolment__activity_id=period.activity_id,
            enrolment__state=Enrolment.State.VALIDATED,
        ).select_related("enrolment__child", "enrolment__activity__deadline_rule",
                         "enrolment__site", "updated_by")
        for subscription in subscriptions:
            enrolment = subscription.enrolment
            first = max(first_open_day(enrolment.activity, now), subscription.applies_from,
                        period.first_day)
            slots = [s for s in _days_to_book(enrolment, subscription.weekdays, first, now)
                     if s.date <= period.last_day]
            try:
                count += _book_days(enrolment.child.family, enrolment, slots,
                                    subscription.updated_by, now)
            except ValidationError as error:  # e.g. next year's file not validated yet
                logger.warning("Subscription %s not applied to period %s: %s",
                               subscription.pk, period.pk, error.messages[0])
        BookingPeriod.objects.filter(pk=period.pk).update(subscriptions_applied_at=now)
    return count
