"""School years, the yearly dossier administratif, and the family quotient set from it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from familles.models import Child, Contact, Document, Family
from ground.encrypted_fields import EncryptedPhoneField, EncryptedTextField

from .levels import SchoolLevel


class SchoolYearQuerySet(models.QuerySet):
    def open_for_files(self, now=None):
        """Years a parent can file for: the campaign has opened and the year is not over."""
        now = now or timezone.now()
        return self.filter(
            published=True, reregistration_opens_at__lte=now,
            end_date__gte=timezone.localdate(now)
        )


class SchoolYear(models.Model):
    label = models.CharField(_("année scolaire"), max_length=9, unique=True,
                             help_text=_("Par exemple 2026-2027."))
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    reregistration_opens_at = models.DateTimeField(_("ouverture des réinscriptions"))
    reregistration_deadline = models.DateTimeField(_("date limite des réinscriptions"))
    rules_version = models.CharField(
        _("version du règlement intérieur"), max_length=50,
        help_text=_("Les familles acceptent cette version dans le dossier administratif."),
    )
    rules_url = models.URLField(_("lien vers le règlement intérieur"), blank=True)
    # A year copied from the previous one (inscriptions/services/rollover.py) is a draft staff
    # review: families see nothing of it, and no campaign e-mail goes out, until published.
    published = models.BooleanField(
        _("publiée"), default=True,
        help_text=_("Une année en brouillon n'est visible que du service : ni dossier, ni "
                    "inscription, ni e-mail aux familles avant sa publication."))
    opening_notice_sent_at = models.DateTimeField(_("annonce d'ouverture envoyée le"),
                                                  null=True, blank=True, editable=False)
    deadline_reminder_sent_at = models.DateTimeField(_("rappel de date limite envoyé le"),
                                                     null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = SchoolYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("année scolaire")
        verbose_name_plural = _("années scolaires")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")),
                                   name="schoolyear_dates_ordered"),
            models.CheckConstraint(
                condition=Q(reregistration_deadline__gt=models.F("reregistration_opens_at")),
                name="schoolyear_campaign_ordered",
            ),
        ]

    def __str__(self):
        return self.label

    def previous(self):
        return SchoolYear.objects.filter(start_date__lt=self.start_date).order_by(
            "-start_date").first()

    def campaign_is_open(self, now=None):
        return self.published and (now or timezone.now()) >= self.reregistration_opens_at

    def deadline_passed(self, now=None):
        return (now or timezone.now()) > self.reregistration_deadline


class AnnualFile(models.Model):
    """The dossier administratif of one child for one school year."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("En cours de traitement")
        VALIDATED = "validated", _("Validé")
        RETURNED = "returned", _("À compléter")

    class Diet(models.TextChoices):
        NONE = "none", _("Aucun régime particulier")
        NO_PORK = "no_pork", _("Sans porc")
        NO_MEAT = "no_meat", _("Sans viande")
        MEDICAL = "medical", _("Régime médical (voir PAI)")

    class AllowanceBody(models.TextChoices):
        CAF = "caf", _("CAF")
        MSA = "msa", _("MSA")
        NONE = "none", _("Aucun")

    EDITABLE_STATES = (State.DRAFT, State.RETURNED)
    # Special-category data (GDPR art. 9): the admin hides it, and refuses any filter, search
    # or sort on it, from staff without the permission (ground.admin_health).
    HEALTH_FIELDS = ("vaccinations_up_to_date", "vaccination_document", "allergies", "diet",
                     "has_pai", "pai_document", "doctor_name", "doctor_phone", "health_notes")
    HEALTH_PERMISSION = "inscriptions.view_health_data"

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="annual_files",
                              verbose_name=_("enfant"))
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT,
                                    related_name="annual_files", verbose_name=_("année scolaire"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.DRAFT, db_index=True)

    # Health
    vaccinations_up_to_date = models.BooleanField(_("vaccinations obligatoires à jour"),
                                                  default=False)
    vaccination_document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("carnet de vaccination"),
    )
    # Encrypted at rest (ground/encrypted_fields.py): only their emptiness shows in the database.
    allergies = EncryptedTextField(_("allergies"), blank=True,
                                   help_text=_("Alimentaires, médicamenteuses ou autres."))
    diet = models.CharField(_("régime alimentaire"), max_length=10, choices=Diet.choices,
                            default=Diet.NONE)
    has_pai = models.BooleanField(_("projet d'accueil individualisé (PAI)"), default=False)
    pai_document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("document du PAI"))
    doctor_name = EncryptedTextField(_("médecin traitant"), max_length=150, single_line=True,
                                     blank=True)
    doctor_phone = EncryptedPhoneField(_("téléphone du médecin"), blank=True)
    health_notes = EncryptedTextField(_("informations utiles pour l'équipe"), blank=True)

    # School
    school = models.CharField(_("école"), max_length=150, blank=True)
    school_class = models.CharField(_("classe"), max_length=50, blank=True)
    school_level = models.PositiveSmallIntegerField(
        _("niveau scolaire"), choices=SchoolLevel.choices, null=True, blank=True,
        help_text=_("Le niveau de l'année scolaire du dossier : il ouvre certaines activités."),
    )

    # Authorisations
    photo_consent = models.BooleanField(_("autorise les photos de l'enfant"), default=False)
    outings_consent = models.BooleanField(_("autorise les sorties"), default=False)
    leave_alone_consent = models.BooleanField(_("autorise l'enfant à rentrer seul"),
                                              default=False)
    emergency_care_consent = models.BooleanField(
        _("autorise les soins d'urgence et l'hospitalisation"), default=False)
    authorised_contacts = models.ManyToManyField(
        Contact, blank=True, related_name="annual_files",
        verbose_name=_("personnes autorisées à venir chercher l'enfant"),
    )

    # Custody
    shared_custody = models.BooleanField(_("garde alternée"), default=False)
    custody_document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("calendrier de garde alternée"),
    )
    payer_family = models.ForeignKey(
        Family, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("famille qui paie"),
        help_text=_("En garde alternée : le foyer à qui les factures sont adressées."),
    )

    # Income
    allowance_body = models.CharField(_("organisme d'allocations"), max_length=5,
                                      choices=AllowanceBody.choices, default=AllowanceBody.CAF)
    allowance_number = models.CharField(_("numéro d'allocataire CAF ou MSA"), max_length=30,
                                        blank=True)
    income_document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("justificatif de revenus"),
    )

    # Rules
    rules_version_accepted = models.CharField(_("règlement intérieur accepté (version)"),
                                              max_length=50, blank=True)
    rules_accepted_at = models.DateTimeField(_("règlement accepté le"), null=True, blank=True)

    # Workflow
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("transmis le"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("transmis par"))
    decided_at = models.DateTimeField(_("décision le"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("décision par"))
    staff_comment = models.TextField(_("commentaire du service"), blank=True)
    # The first time an agent opened the review page of this submission (a bulk validation
    # names the files nobody read); cleared when the family submits again.
    opened_at = models.DateTimeField(_("ouvert par le service le"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[authorised_contacts], excluded_fields=["opened_at"])

    class Meta:
        verbose_name = _("dossier administratif")
        verbose_name_plural = _("dossiers administratifs")
        ordering = ["-school_year__start_date", "child__last_name", "child__first_name"]
        permissions = [
            ("view_health_data", _("Peut consulter les données de santé")),
            ("decide_annualfile", _("Peut valider ou renvoyer un dossier administratif")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["child", "school_year"],
                                    name="annualfile_one_per_child_and_year"),
            models.CheckConstraint(
                condition=Q(state__in=["draft"]) | Q(submitted_at__isnull=False),
                name="annualfile_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(staff_comment=""),
                name="annualfile_returned_has_comment",
            ),
        ]

    def __str__(self):
        return _("Dossier administratif %(year)s – %(child)s") % {
            "year": self.school_year, "child": self.child}

    @property
    def is_editable(self):
        return self.state in self.EDITABLE_STATES

    def billing_family(self):
        return self.payer_family or self.child.family


class HealthDataAccess(models.Model):
    """Each time a staff member reads health data (GDPR art. 9): a file's health part, a
    register or an export, and in the admin any page, filter, search or sort using it. The
    names of the fields are kept, never the values searched for."""

    class Action(models.TextChoices):
        VIEW = "view", _("Consultation")
        HISTORY = "history", _("Historique")
        LIST = "list", _("Liste (affichage, filtre, recherche ou tri)")
        EXPORT = "export", _("Export")
        REGISTER = "register", _("Registre")

    annual_file = models.ForeignKey(AnnualFile, on_delete=models.CASCADE, null=True,
                                    blank=True, related_name="health_accesses",
                                    verbose_name=_("dossier administratif"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("agent"))
    accessed_at = models.DateTimeField(_("consulté le"), auto_now_add=True)
    action = models.CharField(_("accès"), max_length=10, choices=Action.choices,
                              default=Action.VIEW)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("type de données"))
    object_id = models.CharField(_("identifiant"), max_length=64, blank=True)
    health_fields = models.CharField(_("données de santé"), max_length=255, blank=True)
    path = models.CharField(_("page"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("consultation de données de santé")
        verbose_name_plural = _("consultations de données de santé")
        ordering = ["-accessed_at"]

    def __str__(self):
        subject = self.annual_file or self.get_action_display()
        return f"{self.user} – {subject} – {self.accessed_at:%d/%m/%Y %H:%M}"


class FamilyQuotient(models.Model):
    """The quotient familial staff set from an income proof; it selects the price bracket."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT,
                               related_name="family_quotients", verbose_name=_("famille"))
    value = models.PositiveIntegerField(_("quotient familial (€)"))
    source_document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("justificatif utilisé"),
    )
    valid_from = models.DateField(_("valable du"))
    valid_until = models.DateField(_("valable jusqu'au"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("fixé par"))
    set_at = models.DateTimeField(_("fixé le"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quotient familial")
        verbose_name_plural = _("quotients familiaux")
        ordering = ["-valid_from", "-set_at"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")),
                                   name="familyquotient_dates_ordered"),
        ]

    def __str__(self):
        return (f"{self.family} : {self.value} € ({self.valid_from:%d/%m/%Y} – "
                f"{self.valid_until:%d/%m/%Y})")
