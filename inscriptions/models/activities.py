"""The activity catalogue of a school year, closure days and enrolments."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from familles.models import Child, Document

from .files import SchoolYear
from .levels import SchoolLevel

WEEKDAY_NAMES = [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"),
                 _("samedi"), _("dimanche")]


def validate_weekdays(value):
    if not isinstance(value, list) or any(d not in range(7) for d in value):
        raise ValidationError(_("Les jours doivent être des jours de la semaine."))


def validate_document_kinds(value):
    known = set(Document.Kind.values)
    if not isinstance(value, list) or any(kind not in known for kind in value):
        raise ValidationError(_("Type de document inconnu."))


class Site(models.Model):
    """A place where activities happen (a school, the leisure centre…)."""

    name = models.CharField(_("nom"), max_length=150, unique=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("lieu d'accueil")
        verbose_name_plural = _("lieux d'accueil")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Activity(models.Model):
    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("Restauration scolaire")
        CARE = "care", _("Accueil périscolaire (matin et soir)")
        ALSH_WEDNESDAY = "alsh_wednesday", _("Accueil de loisirs du mercredi")
        ALSH_HOLIDAYS = "alsh_holidays", _("Accueil de loisirs des vacances")
        PASSERELLE_WEDNESDAY = "passerelle_wednesday", _("Passerelle du mercredi")
        PASSERELLE_HOLIDAYS = "passerelle_holidays", _("Passerelle des vacances")

    class Days(models.TextChoices):
        SCHOOL_DAYS = "school_days", _("Jours d'école (jours choisis ci-dessous)")
        WEDNESDAYS = "wednesdays", _("Mercredis hors vacances scolaires")
        HOLIDAYS = "holidays", _("Vacances scolaires, du lundi au vendredi")

    class Validation(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatique")
        STAFF = "staff", _("Par le service")

    # The calendar each kind runs on unless staff choose otherwise.
    DEFAULT_DAYS = {
        Kind.CANTEEN: Days.SCHOOL_DAYS, Kind.CARE: Days.SCHOOL_DAYS,
        Kind.ALSH_WEDNESDAY: Days.WEDNESDAYS, Kind.PASSERELLE_WEDNESDAY: Days.WEDNESDAYS,
        Kind.ALSH_HOLIDAYS: Days.HOLIDAYS, Kind.PASSERELLE_HOLIDAYS: Days.HOLIDAYS,
    }

    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT,
                                    related_name="activities", verbose_name=_("année scolaire"))
    kind = models.CharField(_("type"), max_length=25, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("présentation pour les familles"), blank=True)
    sites = models.ManyToManyField(Site, related_name="activities", verbose_name=_("lieux"))
    days = models.CharField(_("jours de fonctionnement"), max_length=15, choices=Days.choices)
    weekdays = models.JSONField(
        _("jours de la semaine"), default=list, blank=True, validators=[validate_weekdays],
        help_text=_("Pour les jours d'école : 0 = lundi … 4 = vendredi."),
    )
    min_age = models.PositiveSmallIntegerField(_("âge minimum"), null=True, blank=True,
                                               help_text=_("Âge au 1er jour de l'année scolaire."))
    max_age = models.PositiveSmallIntegerField(_("âge maximum"), null=True, blank=True)
    min_level = models.PositiveSmallIntegerField(_("niveau scolaire minimum"),
                                                 choices=SchoolLevel.choices, null=True,
                                                 blank=True)
    max_level = models.PositiveSmallIntegerField(_("niveau scolaire maximum"),
                                                 choices=SchoolLevel.choices, null=True,
                                                 blank=True)
    needs_reservation = models.BooleanField(
        _("sur réservation"), default=True,
        help_text=_("Décoché (accueil périscolaire) : l'inscription suffit, la présence est "
                    "pointée."),
    )
    validation = models.CharField(_("validation des inscriptions"), max_length=10,
                                  choices=Validation.choices, default=Validation.AUTOMATIC)
    required_document_kinds = models.JSONField(
        _("pièces exigées"), default=list, blank=True, validators=[validate_document_kinds],
        help_text=_("Pièces valides que la famille doit avoir dans « Mes documents »."),
    )
    allows_subscription = models.BooleanField(
        _("abonnement possible"), default=False,
        help_text=_("Les familles peuvent choisir des jours fixes réservés toute l'année."),
    )
    enrolment_open = models.BooleanField(_("inscriptions ouvertes"), default=True)
    history = HistoricalRecords(m2m_fields=[sites])

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        ordering = ["school_year", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "name"],
                                    name="activity_unique_name_per_year"),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True)
                | Q(max_age__gte=models.F("min_age")),
                name="activity_age_range_ordered"),
            models.CheckConstraint(
                condition=Q(min_level__isnull=True) | Q(max_level__isnull=True)
                | Q(max_level__gte=models.F("min_level")),
                name="activity_level_range_ordered"),
        ]

    def __str__(self):
        return f"{self.name} ({self.school_year})"

    def clean(self):
        if self.days == self.Days.SCHOOL_DAYS and not self.weekdays:
            raise ValidationError({"weekdays": _("Choisissez au moins un jour d'école.")})

    @property
    def auto_validated(self) -> bool:
        return self.validation == self.Validation.AUTOMATIC

    def weekday_names(self) -> list[str]:
        return [str(WEEKDAY_NAMES[d]) for d in sorted(self.weekdays)]

    def range_description(self) -> str:
        """The public condition, in words: "de 3 à 11 ans", "du CP au CM2"…"""
        parts = []
        if self.min_age is not None and self.max_age is not None:
            parts.append(_("de %(a)s à %(b)s ans") % {"a": self.min_age, "b": self.max_age})
        elif self.min_age is not None:
            parts.append(_("à partir de %(a)s ans") % {"a": self.min_age})
        elif self.max_age is not None:
            parts.append(_("jusqu'à %(b)s ans") % {"b": self.max_age})
        if self.min_level and self.max_level:
            parts.append(_("de la %(a)s au %(b)s") % {
                "a": SchoolLevel(self.min_level).label, "b": SchoolLevel(self.max_level).label})
        elif self.min_level:
            parts.append(_("à partir du niveau %(a)s") % {"a": SchoolLevel(self.min_level).label})
        elif self.max_level:
            parts.append(_("jusqu'au niveau %(b)s") % {"b": SchoolLevel(self.max_level).label})
        return ", ".join(str(p) for p in parts)


class ActivityUnit(models.Model):
    """What a family books or is billed for: journée, matin, après-midi, repas, soir…"""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="units",
                                 verbose_name=_("activité"))
    label = models.CharField(_("unité"), max_length=60)
    with_meal = models.BooleanField(_("avec repas"), default=False)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    # What part of the price pays for food: the attestation fiscale leaves it out (frais de
    # garde only). Empty: the whole price for the canteen, nothing for any other activity.
    food_percent = models.PositiveSmallIntegerField(
        _("part repas du prix (%)"), null=True, blank=True,
        help_text=_("Exclue de l'attestation fiscale. Vide : 100 % pour la restauration "
                    "scolaire, 0 % pour les autres activités."))
    # What the CAF counts (prestation de service): the unit's length in hours.
    duration_hours = models.DecimalField(
        _("durée (heures)"), max_digits=4, decimal_places=2, default=Decimal("0"),
        help_text=_("Heures déclarées à la CAF pour une unité (par exemple 8 pour une journée, "
                    "1,5 pour un accueil du soir). 0 : non déclarée."))
    # When the unit is held: two units of the same day whose hours meet cannot both be
    # booked for one child (reservations/rules.py). Without hours, a unit is compared with
    # no other (only the same unit twice on one day is refused).
    starts_at = models.TimeField(
        _("début"), null=True, blank=True,
        help_text=_("Heure de début (par exemple 8:30). Avec la fin, empêche de réserver pour "
                    "un même enfant deux unités qui se chevauchent le même jour ; vide : "
                    "l'unité n'est comparée à aucune autre."))
    ends_at = models.TimeField(_("fin"), null=True, blank=True,
                               help_text=_("Heure de fin (par exemple 17:30)."))

    class Meta:
        verbose_name = _("unité")
        verbose_name_plural = _("unités")
        ordering = ["activity", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "label"], name="unit_unique_label"),
            models.CheckConstraint(condition=Q(food_percent__lte=100),
                                   name="unit_food_percent_is_a_percentage"),
            models.CheckConstraint(condition=Q(duration_hours__gte=0, duration_hours__lte=24),
                                   name="unit_duration_within_a_day"),
            # Both hours or neither, the start before the end.
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True)
                | Q(starts_at__isnull=False, ends_at__isnull=False,
                    starts_at__lt=models.F("ends_at")),
                name="unit_hours_both_and_in_order"),
        ]

    def __str__(self):
        return self.label

    @property
    def has_hours(self) -> bool:
        return self.starts_at is not None and self.ends_at is not None

    def clean(self):
        super().clean()
        if (self.starts_at is None) != (self.ends_at is None):
            raise ValidationError(_("Indiquez l'heure de début et l'heure de fin, ou aucune "
                                    "des deux."))
        if self.has_hours and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("La fin doit suivre le début.")})

    def food_share_percent(self) -> int:
        """The part of the price that is food, in percent (see `food_percent`)."""
        if self.food_percent is not None:
            return self.food_percent
        return 100 if self.activity.kind == Activity.Kind.CANTEEN else 0


class ClosureDay(models.Model):
    """A day the service is closed beyond holidays (a bridge day, a strike…)."""

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE,
                                    related_name="closure_days", verbose_name=_("année scolaire"))
    date = models.DateField(_("date"))
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="closure_days",
        verbose_name=_("activité"), help_text=_("Vide : toutes les activités sont fermées."),
    )
    label = models.CharField(_("motif"), max_length=150)

    class Meta:
        verbose_name = _("jour de fermeture")
        verbose_name_plural = _("jours de fermeture")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "date", "activity"],
                                    name="closureday_unique_per_activity"),
            models.UniqueConstraint(fields=["school_year", "date"],
                                    condition=Q(activity__isnull=True),
                                    name="closureday_unique_for_all"),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} – {self.label}"

    def clean(self):
        year = self.school_year if self.school_year_id else None
        if year and self.date and not (year.start_date <= self.date <= year.end_date):
            raise ValidationError({"date": _("La date doit être dans l'année scolaire.")})


class Enrolment(models.Model):
    """A child in an activity for the activity's school year."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("En attente de validation")
        VALIDATED = "validated", _("Validée")
        REFUSED = "refused", _("Refusée")
        WITHDRAWN = "withdrawn", _("Retirée")

    ACTIVE_STATES = (State.REQUESTED, State.VALIDATED)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="enrolments",
                              verbose_name=_("enfant"))
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="enrolments",
                                 verbose_name=_("activité"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="enrolments",
                             verbose_name=_("lieu"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.REQUESTED, db_index=True)
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("demandée par"))
    decided_at = models.DateTimeField(_("décision le"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("décision par"))
    staff_comment = models.TextField(_("commentaire du service"), blank=True)
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["activity", "child__last_name", "child__first_name"]
        permissions = [
            ("decide_enrolment", _("Peut valider ou refuser une inscription")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity"], condition=Q(state__in=["requested", "validated"]),
                name="enrolment_one_active_per_child_and_activity"),
            models.CheckConstraint(condition=~Q(state="refused") | ~Q(staff_comment=""),
                                   name="enrolment_refused_has_comment"),
        ]

    def __str__(self):
        return _("%(child)s – %(activity)s") % {"child": self.child, "activity": self.activity}

    @property
    def is_active(self):
        return self.state in self.ACTIVE_STATES
