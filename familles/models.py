"""Accounts, households, children, their entourage and the document vault."""

import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ground.encrypted_storage import EncryptedFileSystemStorage
from ground.fields import PhoneField
from ground.validators import validate_birth_date, validate_postal_code

from .uploads import ALLOWED_TYPES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A login. Parents log in with their e-mail; there is no user name."""

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    # Retention of inactive accounts (familles/retention.py): when the warning went out; a
    # login afterwards cancels the anonymisation that would follow.
    inactivity_warned_at = models.DateTimeField(_("prévenu d'inactivité le"), null=True,
                                                blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self):
        return self.email


class Family(models.Model):
    """A household: the payer, with one or two guardians."""

    name = models.CharField(_("nom de la famille"), max_length=150)
    # Unset, the name follows the guardians' surnames (familles.names); set when staff type
    # one (« Famille Le Gall (grands-parents) »): kept as typed.
    name_set_by_staff = models.BooleanField(
        _("nom fixé par le service"), default=False,
        help_text=_("Décoché, le nom suit ceux des responsables légaux (« Famille Martin », "
                    "« Famille Martin-Dupont »)."))
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True,
                                   validators=[validate_postal_code])
    city = models.CharField(_("commune"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    # A household served at the counter has no account whose logins tell it is still here:
    # the retention rule warns it by letter after years without news, then erases its data
    # (familles/retention.py, « Durées de conservation »).
    inactivity_warned_at = models.DateTimeField(_("prévenue de son inactivité le"), null=True,
                                                blank=True, editable=False)
    data_erased_at = models.DateTimeField(_("données effacées le"), null=True, blank=True,
                                          editable=False)
    history = HistoricalRecords(excluded_fields=["inactivity_warned_at", "data_erased_at"])

    class Meta:
        verbose_name = _("famille")
        verbose_name_plural = _("familles")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def guardian_emails(self) -> list[str]:
        """Who receives the household's e-mails (uses a prefetch of guardians__user); a
        guardian without a login receives letters instead (familles/letters.py)."""
        return [guardian.user.email for guardian in self.guardians.all() if guardian.user]


class Guardian(models.Model):
    """A parent or legal guardian: usually with his own login; none for a guardian served at
    the counter, who receives letters to print instead of e-mails."""

    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mère")
        FATHER = "father", _("Père")
        OTHER = "other", _("Autre responsable légal")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guardian",
        verbose_name=_("compte"), null=True, blank=True,
        help_text=_("Vide pour un responsable sans adresse e-mail : il reçoit des courriers."),
    )
    family = models.ForeignKey(
        Family, on_delete=models.PROTECT, related_name="guardians", verbose_name=_("famille")
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    relation = models.CharField(_("lien avec les enfants"), max_length=10,
                                choices=Relation.choices, default=Relation.OTHER)
    mobile_phone = PhoneField(_("téléphone portable"))
    home_phone = PhoneField(_("téléphone fixe"), blank=True)
    work_phone = PhoneField(_("téléphone professionnel"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("responsable légal")
        verbose_name_plural = _("responsables légaux")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self) -> str:
        return self.user.email if self.user else ""

    @property
    def by_post(self) -> bool:
        """Served at the counter: letters to print, not e-mails."""
        return self.user_id is None


class InvitationQuerySet(models.QuerySet):
    def open(self):
        """The invitations that can still be accepted (the queryset form of `is_open`)."""
        since = timezone.now() - timedelta(days=Invitation.VALID_DAYS)
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True,
                           created_at__gt=since)


class Invitation(models.Model):
    """A second guardian invited by e-mail to join a family with his own login."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="invitations",
                               verbose_name=_("famille"))
    email = models.EmailField(_("adresse e-mail invitée"))
    invited_by = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("invité par"))
    created_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("acceptée par"),
    )
    revoked_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    VALID_DAYS = 14

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.family}"

    @property
    def is_open(self):
        age = timezone.now() - self.created_at
        return (
            self.accepted_at is None and self.revoked_at is None and age.days < self.VALID_DAYS
        )


class ChildQuerySet(models.QuerySet):
    def for_family(self, family):
        """The children a family (or a family's id) may see: its own, and those in shared
        custody with it."""
        return self.filter(Q(family=family) | Q(second_family=family))


class Child(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Fille")
        MALE = "M", _("Garçon")

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("famille"))
    # Shared custody (garde alternée): the other household, linked by staff.
    second_family = models.ForeignKey(
        Family, on_delete=models.PROTECT, null=True, blank=True,
        related_name="shared_children", verbose_name=_("second foyer (garde alternée)"),
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"), validators=[validate_birth_date])
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    school = models.CharField(_("école"), max_length=150, blank=True)
    school_class = models.CharField(_("classe"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["birth_date", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(second_family=models.F("family")),
                name="child_second_family_differs",
                violation_error_message=_(
                    "Le second foyer doit être une autre famille que celle de l'enfant."
                ),
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day):
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class Contact(models.Model):
    """Someone of the entourage: allowed to pick a child up, or to call in an emergency."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="contacts",
                               verbose_name=_("famille"))
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    relation = models.CharField(_("lien avec l'enfant"), max_length=100,
                                help_text=_("Par exemple : grand-mère, voisin, nourrice."))
    phone = PhoneField(_("téléphone"))
    can_pick_up = models.BooleanField(_("autorisé à venir chercher l'enfant"), default=True)
    emergency_contact = models.BooleanField(_("à appeler en cas d'urgence"), default=True)
    children = models.ManyToManyField(Child, related_name="contacts", blank=False,
                                      verbose_name=_("pour les enfants"))
    history = HistoricalRecords(m2m_fields=[children])

    class Meta:
        verbose_name = _("personne de l'entourage")
        verbose_name_plural = _("entourage")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(can_pick_up=True) | Q(emergency_contact=True),
                name="contact_has_a_role",
                violation_error_message=_(
                    "Indiquez si cette personne peut venir chercher l'enfant, être appelée en "
                    "cas d'urgence, ou les deux."
                ),
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.relation})"


class PrivateStorage(EncryptedFileSystemStorage):
    """The vault, outside any web root, each file encrypted (ground/encrypted_storage.py).
    Django calls a field's storage callable only once, at import: the location is read from
    the settings at each use instead, so that tests and deployments can move
    PRIVATE_MEDIA_ROOT."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


def document_path(instance, filename):
    return f"documents/{instance.family_id}/{uuid.uuid4().hex}.{instance.extension}"


class DocumentQuerySet(models.QuerySet):
    def for_child_file(self, family, child):
        """What a household may see and attach in a child's file: its own documents, for the
        whole family or for this child, and the child's own documents filed by the other home
        in shared custody. Never the other home's family-wide documents, nor its income proofs
        even when filed for the child: a household's income is its own (review, finding 6)."""
        return self.filter(
            Q(family=family, child__isnull=True) | Q(family=family, child=child)
            | (Q(child=child) & ~Q(kind__in=Document.INCOME_KINDS))
        )


class Document(models.Model):
    """A file in the family's secure vault (pièce justificative)."""

    class Kind(models.TextChoices):
        VACCINATION = "vaccination", _("Carnet de vaccination")
        TAX_NOTICE = "tax_notice", _("Avis d'imposition")
        CAF = "caf", _("Attestation CAF")
        MSA = "msa", _("Attestation MSA")
        CUSTODY_CALENDAR = "custody", _("Calendrier de garde alternée")
        MEDICAL_CERTIFICATE = "medical", _("Certificat médical")
        PAI = "pai", _("Projet d'accueil individualisé (PAI)")
        EMPLOYMENT = "employment", _("Attestation employeur")
        OTHER = "other", _("Autre document")

    INCOME_KINDS = (Kind.TAX_NOTICE, Kind.CAF, Kind.MSA)
    # Special-category data (GDPR art. 9): staff access to these is recorded.
    HEALTH_KINDS = (Kind.VACCINATION, Kind.MEDICAL_CERTIFICATE, Kind.PAI)
    # Reached from another model, what a document is and is named may tell a health matter:
    # the admin refuses lookups on them to staff without the permission.
    HEALTH_FIELDS = ("kind", "original_name", "file")
    HEALTH_PERMISSION = "familles.view_health_document"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="documents",
                               verbose_name=_("famille"))
    child = models.ForeignKey(Child, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="documents", verbose_name=_("enfant concerné"))
    kind = models.CharField(_("type de document"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("fichier"), storage=private_storage, upload_to=document_path,
                            max_length=255)
    original_name = models.CharField(_("nom du fichier"), max_length=120)
    content_type = models.CharField(_("format"), max_length=50)
    size = models.PositiveIntegerField(_("taille (octets)"))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+", verbose_name=_("déposé par"))
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    # Handed over on paper and scanned by an agent (uploaded_by), not sent on line.
    received_at_counter = models.BooleanField(_("reçu au guichet"), default=False)
    expiry_notice_sent_at = models.DateTimeField(_("rappel d'expiration envoyé le"), null=True,
                                                 blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["file", "expiry_notice_sent_at"])

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["-uploaded_at"]
        permissions = [("view_health_document", _("Peut consulter les documents de santé"))]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.original_name}"

    @property
    def extension(self):
        return ALLOWED_TYPES[self.content_type]

    @property
    def is_health_data(self):
        return self.kind in self.HEALTH_KINDS

    def is_valid_on(self, day):
        return self.valid_until is None or self.valid_until >= day


class DocumentAccess(models.Model):
    """Who on the staff opened which document, and when (health data must be traceable)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="accesses",
                                 verbose_name=_("document"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("agent"))
    accessed_at = models.DateTimeField(_("consulté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation de document")
        verbose_name_plural = _("consultations de documents")
        ordering = ["-accessed_at"]

    def __str__(self):
        return f"{self.user} – {self.document} – {self.accessed_at:%d/%m/%Y %H:%M}"


class FamilyEvent(models.Model):
    """The family's journal: what the service did for the household (at the counter, on the
    phone), who did it and why. The family reads it on « Historique »; staff in the admin."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("en ligne")
        PHONE = "phone", _("par téléphone")
        COUNTER = "counter", _("au guichet")
        MAIL = "mail", _("par courrier")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="events",
                               verbose_name=_("famille"))
    at = models.DateTimeField(_("le"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("agent"))
    # The agent's name as it was: the journal stays readable if the account goes.
    actor_name = models.CharField(_("nom de l'agent"), max_length=300, blank=True)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices,
                               default=Channel.COUNTER)
    summary = models.CharField(_("action"), max_length=500)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("événement du journal de la famille")
        verbose_name_plural = _("journal des familles")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["family", "-at"], name="familyevent_family_at")]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} – {self.summary}"


class Letter(models.Model):
    """A message to print and post, for a household with a guardian without e-mail: what an
    e-mail would have said (familles/letters.py)."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="letters",
                               verbose_name=_("famille"))
    template = models.CharField(_("modèle"), max_length=100, blank=True)
    subject = models.CharField(_("objet"), max_length=300)
    body_text = models.TextField(_("texte"))
    created_at = models.DateTimeField(_("écrit le"), default=timezone.now)
    printed_at = models.DateTimeField(_("imprimé le"), null=True, blank=True)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("imprimé par"))

    class Meta:
        verbose_name = _("courrier à imprimer")
        verbose_name_plural = _("courriers à imprimer")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["printed_at", "created_at"], name="letter_to_print")]

    def __str__(self):
        return f"{self.family} – {self.subject}"
