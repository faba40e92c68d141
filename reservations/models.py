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
from ground.encrypted_fields import EncryptedTextField
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

    class Mode(models.TextChoices):
        FIRST_COME = "first_come", _("Premier arrivé, premier servi")
        ALLOCATION = "allocation", _("Attribution par vœux, règles et tirage au sort")

    # Allocation (docs/allocation.md): during the wish window families say which days they
    # want; at its close a run grants places by the commune's rules and a draw; what remains
    # opens first come, first served at `opens_at`, once the result is published.
    mode = models.CharField(_("mode d'attribution"), max_length=12, choices=Mode.choices,
                            default=Mode.FIRST_COME)
    wishes_open_at = models.DateTimeField(_("ouverture des vœux"), null=True, blank=True)
    wishes_close_at = models.DateTimeField(_("clôture des vœux"), null=True, blank=True)
    decline_days = models.PositiveSmallIntegerField(
        _("délai pour renoncer à un jour attribué (jours)"), default=7,
        help_text=_("Après la publication, une famille peut renoncer à un jour attribué "
                    "pendant ce nombre de jours ; sa place va à la liste d'attente."))
    # The draw's seed: a secret drawn by the server when the period is put in allocation
    # mode, before its window opens, and never shown before publication; its SHA-256 (the
    # commitment) is shown from the window's opening. Once the window is open, the secret
    # cannot change (services.allocation.commit_draw refuses), so nobody can choose it
    # knowing the wishes; anyone checks sha256(secret) == commitment after publication.
    draw_secret = models.CharField(_("secret du tirage"), max_length=64, blank=True,
                                   editable=False)
    draw_commitment = models.CharField(_("empreinte du secret du tirage (SHA-256)"),
                                       max_length=64, blank=True, editable=False)
    allocation_published_at = models.DateTimeField(_("attribution publiée le"), null=True,
                                                   blank=True, editable=False)

    class Job(models.TextChoices):
        NONE = "", _("aucun")
        RUN = "run", _("calcul d'un brouillon")
        PUBLISH = "publish", _("publication")

    # A town's run or publication takes longer than a web request may (docs/allocation.md):
    # the worker does it; the period says what is being done since when, and the last
    # refusal, for the agent's page (services/allocation_jobs.py).
    allocation_job = models.CharField(_("traitement en cours"), max_length=8, blank=True,
                                      choices=Job.choices, default=Job.NONE, editable=False)
    allocation_job_since = models.DateTimeField(_("traitement demandé le"), null=True,
                                                blank=True, editable=False)
    allocation_job_error = models.TextField(_("dernier refus du traitement"), blank=True,
                                            editable=False)
    history = HistoricalRecords(excluded_fields=[
        "subscriptions_applied_at", "draw_secret", "allocation_job", "allocation_job_since",
        "allocation_job_error"])

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
            # An allocation period has its wish window, closed before first come opens.
            models.CheckConstraint(
                condition=Q(mode="first_come") | Q(
                    wishes_open_at__isnull=False, wishes_close_at__gt=F("wishes_open_at"),
                    opens_at__gte=F("wishes_close_at")),
                name="bookingperiod_wish_window_ordered"),
            models.CheckConstraint(
                condition=Q(draw_commitment="") | Q(draw_commitment__regex=r"^[0-9a-f]{64}$"),
                name="bookingperiod_commitment_is_sha256"),
            models.CheckConstraint(
                condition=Q(allocation_job="", allocation_job_since__isnull=True)
                | (~Q(allocation_job="") & Q(allocation_job_since__isnull=False)),
                name="bookingperiod_job_has_its_time"),
        ]

    def __str__(self):
        return f"{self.activity.name} – {self.label}"

    @property
    def allocates(self) -> bool:
        return self.mode == self.Mode.ALLOCATION


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
        ALLOCATION = "allocation", _("Attribution (tirage au sort)")

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
    details = EncryptedTextField(_("précisions"), blank=True)  # encrypted at rest
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


# --- allocation: wishes, the commune's rules, runs (docs/allocation.md) ----------------------

class AllocationRule(models.Model):
    """One of the commune's rules for allocation periods, in the order staff set: the
    enabled priority rules make a child's class (the first one weighs most); « siblings
    together » is a constraint, not a priority (its position does not matter). Each run
    freezes the rules it used."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("Habiter la commune")
        SIBLINGS_TOGETHER = "siblings", _("Frères et sœurs ensemble (tous ou aucun un même "
                                          "jour)")
        BOTH_PARENTS_WORKING = "working", _("Parents qui travaillent (attestation employeur)")
        STAFF_PRIORITY = "priority", _("Priorité fixée par le service")
        ATTENDED_LAST_YEAR = "last_year", _("Venu à l'activité l'an dernier")

    kind = models.CharField(_("règle"), max_length=10, choices=Kind.choices, unique=True)
    # Not unique: staff swap two rules in one save of the list (ties: by kind).
    position = models.PositiveSmallIntegerField(_("ordre"))
    enabled = models.BooleanField(_("appliquée"), default=True)
    explanation = models.TextField(
        _("explication aux familles"), blank=True,
        help_text=_("Montrée aux familles avant qu'elles fassent leurs vœux."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("règle d'attribution")
        verbose_name_plural = _("règles d'attribution")
        ordering = ["position", "kind"]

    def __str__(self):
        return self.get_kind_display()


class AllocationPriority(models.Model):
    """A priority staff give a child, or all the children of a family (social services,
    disability…), for the allocation rule « priorité fixée par le service ». The rule, not
    the reason, is what a run uses; the reason may tell a disability (GDPR art. 9): only
    staff with the health permission read it."""

    HEALTH_FIELDS = ("note",)
    HEALTH_PERMISSION = "inscriptions.view_health_data"

    child = models.ForeignKey(Child, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="allocation_priorities", verbose_name=_("enfant"))
    family = models.ForeignKey(Family, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="allocation_priorities", verbose_name=_("famille"))
    # The reason may tell a disability: encrypted at rest like the dossiers' health fields.
    note = EncryptedTextField(_("motif"), max_length=200, blank=True, single_line=True,
                              help_text=_("Lu seulement par les agents autorisés aux données "
                                          "de santé."))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("fixée par"))
    set_at = models.DateTimeField(_("fixée le"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("priorité d'attribution")
        verbose_name_plural = _("priorités d'attribution")
        constraints = [
            models.CheckConstraint(
                condition=Q(child__isnull=True, family__isnull=False)
                | Q(child__isnull=False, family__isnull=True),
                name="allocationpriority_child_or_family"),
        ]

    def __str__(self):
        return str(self.child or self.family)


class Wish(models.Model):
    """A household asks a place for one of its children on one slot of an allocation
    period, during its wish window; `rank` (1 first) orders its wishes if it wants. When
    it was sent plays no part."""

    period = models.ForeignKey(BookingPeriod, on_delete=models.CASCADE, related_name="wishes",
                               verbose_name=_("période"))
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="wishes",
                              verbose_name=_("enfant"), db_index=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="wishes",
                             verbose_name=_("créneau"))
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="wishes",
                               verbose_name=_("famille qui a fait le vœu"))
    rank = models.PositiveSmallIntegerField(_("ordre de préférence"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("modifié par"))

    class Meta:
        verbose_name = _("vœu")
        verbose_name_plural = _("vœux")
        ordering = ["slot__date"]
        constraints = [
            models.UniqueConstraint(fields=["child", "slot"], name="wish_one_per_child_slot"),
            models.CheckConstraint(condition=Q(rank__isnull=True) | Q(rank__gte=1),
                                   name="wish_rank_positive"),
        ]

    def __str__(self):
        return f"{self.child} – {self.slot}"


class Allocation(models.Model):
    """An allocation run of a period: its frozen inputs (wishes, classes' criteria, free
    places, rules), the result of the draw, as a draft staff can rerun, then published (one
    per period). Every run is kept, so that what changed between runs can be seen."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publiée")
        SUPERSEDED = "superseded", _("Remplacée")

    period = models.ForeignKey(BookingPeriod, on_delete=models.PROTECT,
                               related_name="allocations", verbose_name=_("période"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    algorithm_version = models.CharField(_("version de l'algorithme"), max_length=10)
    # Canonical JSON (reservations.draw.canonical_json) of what the algorithm read, and
    # the SHA-256 of it and of its result: the reproduction command recomputes both.
    inputs = models.JSONField(_("données figées"))
    inputs_digest = models.CharField(_("empreinte des données (SHA-256)"), max_length=64)
    result_digest = models.CharField(_("empreinte du résultat (SHA-256)"), max_length=64)
    # The draw's secret, written here only at publication (a draft keeps it on the period).
    seed = models.CharField(_("graine du tirage"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("lancée le"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("lancée par"))
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("publiée par"))

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        ordering = ["-created_at"]
        permissions = [
            ("run_allocation", _("Peut lancer une attribution (brouillon)")),
            ("publish_allocation", _("Peut publier une attribution")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["period"], condition=Q(state="published"),
                                    name="allocation_one_published_per_period"),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False,
                                                    seed__regex=r"^[0-9a-f]{64}$"),
                name="allocation_published_reveals_seed"),
        ]

    def __str__(self):
        return _("Attribution du %(moment)s") % {
            "moment": f"{self.created_at:%d/%m/%Y %H:%M}" if self.created_at else "…"}


class AllocationEntry(models.Model):
    """One wish's fate in a run: the child's class and draw number, granted or waiting
    (with its order on the slot's waiting list), or left out with the reason (no validated
    file or enrolment, already booked)."""

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Attribué")
        WAITING = "waiting", _("En liste d'attente")
        EXCLUDED = "excluded", _("Écarté")

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE,
                                   related_name="entries", verbose_name=_("attribution"))
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("enfant"))
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("créneau"))
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("famille"))
    outcome = models.CharField(_("résultat"), max_length=10, choices=Outcome.choices)
    priority_class = models.PositiveSmallIntegerField(_("classe"), null=True, blank=True)
    draw_number = models.PositiveIntegerField(_("numéro de tirage"), null=True, blank=True)
    waiting_order = models.PositiveIntegerField(_("rang d'attente"), null=True, blank=True)
    excluded_reason = models.CharField(_("motif"), max_length=200, blank=True)
    declined_at = models.DateTimeField(_("refusé par la famille le"), null=True, blank=True)

    class Meta:
        verbose_name = _("résultat d'un vœu")
        verbose_name_plural = _("résultats des vœux")
        constraints = [
            models.UniqueConstraint(fields=["allocation", "child", "slot"],
                                    name="allocationentry_one_per_wish"),
            models.CheckConstraint(
                condition=Q(outcome="excluded") | Q(priority_class__isnull=False,
                                                    draw_number__isnull=False),
                name="allocationentry_drawn_has_class"),
            models.CheckConstraint(
                condition=~Q(outcome="waiting") | Q(waiting_order__isnull=False),
                name="allocationentry_waiting_has_order"),
            models.CheckConstraint(
                condition=Q(declined_at__isnull=True) | Q(outcome="granted"),
                name="allocationentry_declines_granted_only"),
            models.UniqueConstraint(fields=["allocation", "slot", "waiting_order"],
                                    name="allocationentry_waiting_order_unique"),
        ]

    def __str__(self):
        return f"{self.child} – {self.slot} – {self.get_outcome_display()}"
