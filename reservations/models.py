"""Booking periods, deadline rules, slots, reservations and their waiting list, canteen
subscriptions, absence justifications, attendance registers and the families' calendar feeds."""

import secrets
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from familles.models import Child, Document, Family
from ground import french
from inscriptions.models import Activity, ActivityUnit, Enrolment, Site
from inscriptions.models.activities import WEEKDAY_NAMES, validate_weekdays

from . import deadlines


class DeadlineRule(models.Model):
    """Until when a day can be booked or cancelled (the same rule governs both)."""

    class Kind(models.TextChoices):
        WORKING_DAYS_BEFORE = "working_days", _("N jours ouvrés avant, à l'heure dite")
        DAYS_BEFORE = "days", _("N jours avant, à l'heure dite")
        PREVIOUS_WEEKDAY = "weekday", _("Le jour de semaine précédent, à l'heure dite")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")
        SUNDAY = 6, _("dimanche")

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE,
                                    related_name="deadline_rule", verbose_name=_("activité"))
    kind = models.CharField(_("règle"), max_length=15, choices=Kind.choices)
    days = models.PositiveSmallIntegerField(_("nombre de jours"), default=0)
    weekday = models.PositiveSmallIntegerField(_("jour de la semaine"), choices=Weekday.choices,
                                               null=True, blank=True)
    time = models.TimeField(_("heure limite"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("délai de réservation et d'annulation")
        verbose_name_plural = _("délais de réservation et d'annulation")
        constraints = [
            models.CheckConstraint(condition=~Q(kind="weekday") | Q(weekday__isnull=False),
                                   name="deadlinerule_weekday_given"),
        ]

    def __str__(self):
        return self.describe()

    def deadline_for(self, day: date) -> datetime:
        return deadlines.deadline_for(self, day)

    def describe(self) -> str:
        return deadlines.describe(self)


class BookingPeriod(models.Model):
    """A range of days of an activity that opens for booking at a fixed date and time."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE,
                                 related_name="booking_periods", verbose_name=_("activité"))
    label = models.CharField(_("nom"), max_length=150,
                             help_text=_("Par exemple « Mercredis de septembre à décembre »."))
    first_day = models.DateField(_("premier jour"))
    last_day = models.DateField(_("dernier jour"))
    opens_at = models.DateTimeField(_("ouverture des réservations"))
    closes_at = models.DateTimeField(_("fermeture des réservations"), null=True, blank=True,
                                     help_text=_("Facultatif : sinon, seul le délai compte."))
    subscriptions_applied_at = models.DateTimeField(
        _("abonnements appliqués le"), null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["subscriptions_applied_at"])

    class Meta:
        verbose_name = _("période de réservation")
        verbose_name_plural = _("périodes de réservation")
        ordering = ["activity", "first_day"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")),
                                   name="bookingperiod_days_ordered"),
            models.CheckConstraint(condition=Q(closes_at__isnull=True)
                                   | Q(closes_at__gt=F("opens_at")),
                                   name="bookingperiod_opening_ordered"),
        ]

    def __str__(self):
        return f"{self.activity.name} – {self.label}"


class AgeGroup(models.Model):
    """Where an activity counts places separately by age (the under-6s and the others)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="age_groups",
                                 verbose_name=_("activité"))
    label = models.CharField(_("groupe"), max_length=60)
    min_age = models.PositiveSmallIntegerField(_("âge minimum (inclus)"))
    max_age = models.PositiveSmallIntegerField(_("âge maximum (inclus)"))

    class Meta:
        verbose_name = _("groupe d'âge")
        verbose_name_plural = _("groupes d'âge")
        ordering = ["activity", "min_age"]
        constraints = [
            models.CheckConstraint(condition=Q(max_age__gte=F("min_age")),
                                   name="agegroup_range_ordered"),
        ]

    def __str__(self):
        return self.label


class CapacityRule(models.Model):
    """The capacity slots are generated with, per site (and age group)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE,
                                 related_name="capacity_rules", verbose_name=_("activité"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("lieu"))
    age_group = models.ForeignKey(AgeGroup, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+", verbose_name=_("groupe d'âge"))
    capacity = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("capacité d'accueil")
        verbose_name_plural = _("capacités d'accueil")
        constraints = [
            models.UniqueConstraint(fields=["activity", "site", "age_group"],
                                    name="capacityrule_unique"),
        ]

    def __str__(self):
        group = f" ({self.age_group})" if self.age_group_id else ""
        return f"{self.site}{group} : {self.capacity}"


class Slot(models.Model):
    """One bookable unit of an activity on one date at one site, with its places.

    `booked` counts the confirmed reservations; it is what the booking transaction updates
    conditionally, so that the database itself refuses to go over capacity."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="slots",
                                 verbose_name=_("activité"))
    unit = models.ForeignKey(ActivityUnit, on_delete=models.PROTECT, related_name="slots",
                             verbose_name=_("unité"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="slots",
                             verbose_name=_("lieu"))
    age_group = models.ForeignKey(AgeGroup, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="slots", verbose_name=_("groupe d'âge"))
    date = models.DateField(_("date"), db_index=True)
    capacity = models.PositiveIntegerField(_("places"))
    booked = models.PositiveIntegerField(_("places réservées"), default=0, editable=False)
    closed = models.BooleanField(_("fermé"), default=False)
    closed_reason = models.CharField(_("motif de fermeture"), max_length=150, blank=True)
    # The waiting list's tickets handed out so far, under the slot's lock: the next one
    # joining gets waiting_tickets + 1 (see Reservation.waiting_ticket).
    waiting_tickets = models.PositiveIntegerField(_("tickets d'attente délivrés"), default=0,
                                                  editable=False)

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["date", "activity", "unit__position", "site"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "unit", "site", "age_group", "date"],
                                    name="slot_unique_with_group"),
            models.UniqueConstraint(fields=["activity", "unit", "site", "date"],
                                    condition=Q(age_group__isnull=True),
                                    name="slot_unique_without_group"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")),
                                   name="slot_never_overbooked"),
        ]

    def __str__(self):
        return f"{self.activity.name} – {self.unit} – {self.date:%d/%m/%Y} – {self.site}"

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.booked, 0)


class ReservationQuerySet(models.QuerySet):
    def of_children_on(self, child_ids, slot_ids):
        """These children's reservations on these slots, found through the children's index.

        The slot is compared as `slot_id + 0`, which no index serves, so PostgreSQL cannot
        pick the slots' index instead. It would on opening day: the period's slots are new
        to its statistics, which therefore count nobody on them, and the slots' index looks
        free while it holds every family's request for those days (a brother and sister's
        days read in 89 ms at the rush's end, against 0.05 ms by the children's index)."""
        return self.filter(child_id__in=child_ids).alias(
            unindexed_slot=F("slot_id") + 0).filter(unindexed_slot__in=slot_ids)


class Reservation(models.Model):
    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("Réservé")
        WAITING = "waiting", _("En liste d'attente")
        CANCELLED = "cancelled", _("Annulé")

    class Source(models.TextChoices):
        PARENT = "parent", _("Famille")
        SUBSCRIPTION = "subscription", _("Abonnement")
        STAFF = "staff", _("Service")

    # Opening day inserts a hundred thousand rows: no index the constraints' and the waiting
    # order's already serve (child: the unique (child, slot); slot: (slot, state, …); state
    # alone: four values, never a selective filter).
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="reservations",
                              verbose_name=_("enfant"), db_index=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="reservations",
                             verbose_name=_("créneau"), db_index=False)
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="reservations",
                               verbose_name=_("famille qui a réservé"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices)
    source = models.CharField(_("origine"), max_length=15, choices=Source.choices,
                              default=Source.PARENT)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    waiting_since = models.DateTimeField(_("en attente depuis"), null=True, blank=True)
    # The waiting list's order: the slot's tickets are numbered 1, 2, 3… in the order the
    # requests joined it under the slot's lock. Each ticket is either held by a waiting
    # reservation or recorded as a WaitingListExit, so a rank is the ticket less the exits
    # before it: exact, without counting the thousands ahead on opening day.
    waiting_ticket = models.PositiveIntegerField(_("ticket d'attente"), null=True, blank=True,
                                                 editable=False)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    cancelled_late = models.BooleanField(_("annulée hors délai"), default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("modifiée par"))

    objects = ReservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        ordering = ["slot__date", "child__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["child", "slot"], name="reservation_one_per_slot"),
            models.CheckConstraint(
                condition=~Q(state="waiting") | Q(waiting_since__isnull=False,
                                                  waiting_ticket__isnull=False),
                name="reservation_waiting_has_ticket"),
            # Also the index of the slot's reservations by state, and of its waiting order.
            models.UniqueConstraint(fields=["slot", "state", "waiting_ticket"],
                                    name="reservation_waiting_ticket_unique"),
        ]

    def __str__(self):
        return f"{self.child} – {self.slot}"


# A reservation that holds a place or waits for one (a cancelled one does neither).
ACTIVE_STATES = (Reservation.State.CONFIRMED, Reservation.State.WAITING)


class WaitingListExit(models.Model):
    """A ticket that left its slot's waiting list: the request was given a place, withdrawn,
    or cancelled by staff. Written under the slot's lock by the service that did it."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("créneau"), db_index=False)
    ticket = models.PositiveIntegerField(_("ticket d'attente"))
    left_at = models.DateTimeField(_("sorti de la liste le"))

    class Meta:
        verbose_name = _("sortie de liste d'attente")
        verbose_name_plural = _("sorties de liste d'attente")
        constraints = [
            models.UniqueConstraint(fields=["slot", "ticket"], name="waitinglistexit_once"),
        ]

    def __str__(self):
        return f"{self.slot} – {self.ticket}"


class SummaryLine(models.Model):
    """A day a booking or a cancellation changed for a child, waiting to be told to one of his
    households (one line each) in its next summary e-mail or letter (services/summaries.py).
    Written right after the change; deleted in the transaction that writes the summary."""

    # Opening day writes one or two lines per day booked: only the index the flush reads.
    household = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("foyer"), db_index=False)
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("enfant"), db_index=False)
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("créneau"), db_index=False)
    state = models.CharField(_("état"), max_length=10, choices=Reservation.State.choices)
    by_service = models.BooleanField(_("fait par le service"), default=False)
    at = models.DateTimeField(_("le"))

    class Meta:
        verbose_name = _("ligne de récapitulatif à envoyer")
        verbose_name_plural = _("lignes de récapitulatif à envoyer")
        indexes = [models.Index(fields=["household", "at"], name="summaryline_household_at")]

    def __str__(self):
        return f"{self.child} – {self.slot} : {self.get_state_display()}"


class AbsenceJustification(models.Model):
    """Why a child missed a booked day after the cancellation deadline; staff decide."""

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("Maladie de l'enfant")
        FAMILY = "family", _("Événement familial grave")
        SCHOOL = "school", _("Sortie ou absence liée à l'école")
        OTHER = "other", _("Autre motif")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("En cours d'examen")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")

    # An illness is health data (GDPR art. 9), and so are the family's words and document.
    HEALTH_FIELDS = ("reason", "details", "document")
    HEALTH_PERMISSION = "inscriptions.view_health_data"

    reservation = models.OneToOneField(Reservation, on_delete=models.PROTECT,
                                       related_name="justification",
                                       verbose_name=_("réservation"))
    reason = models.CharField(_("motif"), max_length=10, choices=Reason.choices)
    details = models.TextField(_("précisions"), blank=True)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("justificatif"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.SUBMITTED, db_index=True)
    submitted_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("envoyée par"))
    decided_at = models.DateTimeField(_("décision le"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("décision par"))
    staff_comment = models.TextField(_("commentaire du service"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("justification d'absence")
        verbose_name_plural = _("justifications d'absence")
        ordering = ["-submitted_at"]
        permissions = [
            ("decide_absencejustification", _("Peut accepter ou refuser une justification")),
        ]

    def __str__(self):
        return _("Absence %(of_child)s le %(day)s") % {
            "of_child": french.de(self.reservation.child),
            "day": f"{self.reservation.slot.date:%d/%m/%Y}"}


class Attendance(models.Model):
    """What staff record in the register: present or absent, and for care the times."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Présent")
        ABSENT = "absent", _("Absent")

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="attendances",
                              verbose_name=_("enfant"))
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attendances",
                                 verbose_name=_("activité"))
    unit = models.ForeignKey(ActivityUnit, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unité"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("lieu"))
    date = models.DateField(_("date"), db_index=True)
    reservation = models.OneToOneField(Reservation, on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="attendance",
                                       verbose_name=_("réservation"))
    status = models.CharField(_("présence"), max_length=10, choices=Status.choices)
    arrived_at = models.TimeField(_("arrivée"), null=True, blank=True)
    left_at = models.TimeField(_("départ"), null=True, blank=True)
    unexpected = models.BooleanField(_("présence imprévue"), default=False)
    recorded_at = models.DateTimeField(_("pointé le"), auto_now=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("pointé par"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pointage")
        verbose_name_plural = _("pointages")
        ordering = ["-date", "child__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["child", "activity", "unit", "date"],
                                    name="attendance_one_per_child_unit_day"),
            models.CheckConstraint(condition=Q(left_at__isnull=True) | Q(arrived_at__isnull=True)
                                   | Q(left_at__gte=F("arrived_at")),
                                   name="attendance_times_ordered"),
        ]

    def __str__(self):
        return f"{self.child} – {self.activity.name} – {self.date:%d/%m/%Y}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A family's private iCal address; revoking it makes the old address answer 404."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="calendar_feeds",
                               verbose_name=_("famille"))
    token = models.CharField(_("jeton"), max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda iCal")
        verbose_name_plural = _("agendas iCal")
        constraints = [
            models.UniqueConstraint(fields=["family"], condition=Q(revoked_at__isnull=True),
                                    name="calendarfeed_one_active_per_family"),
        ]

    def __str__(self):
        return str(self.family)


class MealSubscription(models.Model):
    """Fixed weekdays on which the canteen is booked for the rest of the year."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT,
                                     related_name="meal_subscription",
                                     verbose_name=_("inscription"))
    weekdays = models.JSONField(_("jours"), default=list, validators=[validate_weekdays])
    active = models.BooleanField(_("en cours"), default=True)
    applies_from = models.DateField(
        _("appliqué à partir du"),
        help_text=_("Premier jour encore modifiable sous le délai de la cantine."),
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("modifié par"))
    # The tables keep the names they had when the model was inscriptions'.
    history = HistoricalRecords(table_name="inscriptions_historicalmealsubscription")

    class Meta:
        db_table = "inscriptions_mealsubscription"
        verbose_name = _("abonnement restauration")
        verbose_name_plural = _("abonnements restauration")

    def __str__(self):
        return _("Abonnement %(of_child)s") % {"of_child": french.de(self.enrolment.child)}

    def weekday_names(self) -> list[str]:
        return [str(WEEKDAY_NAMES[d]) for d in sorted(self.weekdays)]
