"""The ground's data: the outbox, and the commune's settings.

The outbox: every e-mail the portal sends is first a row here (DESIGN.md, invariant 5).

A message that carries a secret or health data keeps its body sealed (ground/sealing.py), never
in `body_text`/`body_html`: staff see who, when, which template and the delivery state. A
secret's seal is dropped once the message is sent or abandoned (docs/security.md, section 1)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import validators


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Abandonné après trop d'échecs")

    class Content(models.TextChoices):
        ORDINARY = "ordinary", _("ordinaire")
        # A link or code that opens an account (reset, verification, invitation).
        SECRET = "secret", _("lien ou code personnel")
        # Special-category data (GDPR art. 9), e.g. the reason of an absence.
        HEALTH = "health", _("données de santé")
        # The last message to an account closed on request: its address and text are
        # forgotten once it is delivered (or abandoned), like the rest of the account.
        FAREWELL = "farewell", _("dernier message d'un compte fermé")

    # The contents whose body is only ever stored sealed (ground/sealing.py).
    SEALED = (Content.SECRET, Content.HEALTH)

    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)
    template = models.CharField(_("modèle"), max_length=100, blank=True)
    to = models.JSONField(_("destinataires"))
    subject = models.CharField(_("objet"), max_length=255)
    content = models.CharField(_("contenu"), max_length=10, choices=Content.choices,
                               default=Content.ORDINARY)
    body_text = models.TextField(_("texte"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    sealed_body = models.TextField(_("contenu scellé"), blank=True)
    from_email = models.CharField(_("expéditeur"), max_length=255)
    reply_to = models.CharField(_("répondre à"), max_length=255, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    last_attempt_at = models.DateTimeField(_("dernière tentative"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message sortant")
        verbose_name_plural = _("boîte d'envoi")
        db_table = "portail_outboxmessage"  # created when the outbox lived in portail/
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_date",
            ),
            # An ordinary body (and a farewell's) is in clear; a secret or health data only
            # sealed, never in clear.
            models.CheckConstraint(
                condition=models.Q(content__in=["ordinary", "farewell"], sealed_body="")
                | (models.Q(content__in=["secret", "health"])
                   & models.Q(body_text="", body_html="")),
                name="outbox_confidential_body_sealed",
            ),
            # A secret exists only while it may still be sent: sealed while pending, dropped
            # once sent or abandoned.
            models.CheckConstraint(
                condition=~models.Q(content="secret")
                | models.Q(status="pending") & ~models.Q(sealed_body="")
                | ~models.Q(status="pending") & models.Q(sealed_body=""),
                name="outbox_secret_only_while_pending",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"


def offered_by_default() -> list[str]:
    """The methods a new commune offers; direct debit waits for its creditor identifier."""
    return ["card", "cash", "cheque", "cesu", "transfer"]


class CommuneSettings(models.Model):
    """What the commune decides, edited by staff in the admin with its history (one row;
    read through ground.commune.commune(), which caches it). The environment keeps what the
    operators decide: secrets, addresses of services, pools, SMTP, limits."""

    class Zone(models.TextChoices):
        A = "A", _("Zone A")
        B = "B", _("Zone B")
        C = "C", _("Zone C")

    class NoQuotientBracket(models.TextChoices):
        TOP = "top", _("la tranche la plus haute")
        BOTTOM = "bottom", _("la tranche la plus basse")

    class CareHours(models.TextChoices):
        REAL = "real", _("heures réelles (arrivée et départ notés au registre)")
        UNITS = "units", _("durée des unités (chaque présence compte la durée de son unité)")

    class PaymentMethod(models.TextChoices):
        # The same values as facturation's Payment.Method (the ground imports no app).
        CARD = "card", _("Carte bancaire en ligne")
        CASH = "cash", _("Espèces, au guichet")
        CHEQUE = "cheque", _("Chèque")
        CESU = "cesu", _("CESU")
        TRANSFER = "transfer", _("Virement")
        DIRECT_DEBIT = "direct_debit", _("Prélèvement automatique (mandat SEPA)")

    # Always 1: the constraint below makes the row a singleton in the database itself.
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    name = models.CharField(_("nom de la commune"), max_length=100, default="Kerbrume",
                            help_text=_("Sur chaque page, dans les e-mails et les PDF."))
    service_name = models.CharField(
        _("nom du service"), max_length=100, default="Éducation Jeunesse",
        help_text=_("Le service qui répond aux familles ; aussi le nom de la régie."))
    service_phone = models.CharField(
        _("téléphone du service"), max_length=30, default="02 97 00 00 00",
        validators=[validators.validate_phone], help_text=_("Sur chaque page."))
    service_email = models.EmailField(
        _("e-mail du service"), default="espace-famille@kerbrume.example",
        help_text=_("Sur chaque page ; les familles qui répondent à un e-mail écrivent ici ; "
                    "les alertes de paiement y arrivent."))
    postal_address = models.CharField(
        _("adresse postale du service"), max_length=255,
        default="Mairie, 1 place de la Mairie, 56000 Kerbrume")
    postal_codes = models.CharField(
        _("codes postaux de la commune"), max_length=200, default="56000",
        validators=[validators.validate_postal_codes],
        help_text=_("Séparés par des virgules (ex. : 56000, 56100). Les familles domiciliées "
                    "ailleurs paient le tarif hors commune."))
    school_holiday_zone = models.CharField(
        _("zone de vacances scolaires"), max_length=1, choices=Zone.choices, default=Zone.B,
        help_text=_("Fixe les jours de vacances du calendrier des activités."))
    justification_hours = models.PositiveSmallIntegerField(
        _("délai de justification d'une absence (heures)"), default=48,
        validators=[MinValueValidator(1, _("Indiquez un nombre d'heures d'au moins 1."))],
        help_text=_("Combien d'heures après la fin d'une journée réservée la famille peut "
                    "encore justifier l'absence."))
    invoice_due_days = models.PositiveSmallIntegerField(
        _("échéance des factures (jours)"), default=30,
        validators=[MinValueValidator(1, _("Indiquez un nombre de jours d'au moins 1."))],
        help_text=_("Jours entre l'émission d'une facture et sa date limite de paiement."))
    invoice_reminder_days = models.PositiveSmallIntegerField(
        _("intervalle des relances (jours)"), default=15,
        validators=[MinValueValidator(1, _("Indiquez un nombre de jours d'au moins 1."))],
        help_text=_("Jours entre deux relances d'une facture échue et impayée."))
    reregistration_reminder_days = models.PositiveSmallIntegerField(
        _("rappel de réinscription (jours avant la clôture)"), default=7,
        validators=[MinValueValidator(1, _("Indiquez un nombre de jours d'au moins 1."))],
        help_text=_("Les familles dont un dossier manque sont rappelées ce nombre de jours "
                    "avant la fin de la campagne."))
    document_expiry_notice_days = models.PositiveSmallIntegerField(
        _("avis d'expiration des pièces (jours avant)"), default=30,
        validators=[MinValueValidator(1, _("Indiquez un nombre de jours d'au moins 1."))],
        help_text=_("La famille est prévenue ce nombre de jours avant la fin de validité "
                    "d'une pièce justificative."))
    booking_summary_minutes = models.PositiveSmallIntegerField(
        _("récapitulatif des réservations (minutes de calme)"), default=10,
        validators=[MaxValueValidator(120, _("Indiquez au plus 120 minutes."))],
        help_text=_("Les réservations et annulations d'une famille (les siennes et celles du "
                    "service) sont résumées dans un seul e-mail, ou courrier, envoyé quand "
                    "elle n'a rien changé depuis ce nombre de minutes. 0 : un message après "
                    "chaque action."))
    no_qf_bracket = models.CharField(
        _("tranche sans quotient familial"), max_length=6, choices=NoQuotientBracket.choices,
        default=NoQuotientBracket.TOP,
        help_text=_("La tranche que paie une famille sans quotient familial valide."))
    payment_methods = models.JSONField(
        _("moyens de paiement proposés"), default=offered_by_default, blank=True,
        validators=[validators.validate_payment_methods],
        help_text=_("Ceux que les factures et le portail proposent aux familles. Le "
                    "prélèvement demande l'IBAN et l'identifiant créancier (ICS) de la régie ; "
                    "chaque famille signe alors son mandat depuis « Mes factures »."))
    regie_iban = models.CharField(
        _("IBAN de la régie"), max_length=42, blank=True,
        validators=[validators.validate_iban],
        help_text=_("Imprimé sur les factures pour les virements (ex. : FR76 3000 1007 9412 "
                    "3456 7890 185)."))
    sepa_creditor_id = models.CharField(
        _("identifiant créancier SEPA (ICS)"), max_length=40, blank=True,
        validators=[validators.validate_creditor_id],
        help_text=_("Attribué par la Banque de France, pour le prélèvement (ex. : "
                    "FR72ZZZ123456)."))
    regie_bic = models.CharField(
        _("BIC de la régie"), max_length=11, blank=True, validators=[validators.validate_bic],
        help_text=_("Pour les fichiers de prélèvement, quand il ne se déduit pas de l'IBAN "
                    "(ex. : BDFEFRPPCCT)."))
    direct_debit_notice_days = models.PositiveSmallIntegerField(
        _("préavis de prélèvement (jours)"), default=14,
        validators=[MinValueValidator(14, _("Le préavis d'un prélèvement SEPA est d'au moins "
                                            "14 jours."))],
        help_text=_("Jours entre l'annonce d'un prélèvement (la facture, ou le mandat signé "
                    "après elle) et sa date. 14 au moins (règlement SEPA) ; il est écrit dans "
                    "le mandat que signe la famille."))
    direct_debit_reject_fee_cents = models.PositiveIntegerField(
        _("frais de rejet d'un prélèvement (centimes)"), default=0,
        help_text=_("Facturés à la famille quand sa banque rejette un prélèvement ; 0 : "
                    "aucun frais."))
    regie_siret = models.CharField(
        _("SIRET de la régie"), max_length=20, blank=True,
        validators=[validators.validate_siret],
        help_text=_("Imprimé sur les attestations fiscales quand il est indiqué."))
    caf_care_hours = models.CharField(
        _("heures de périscolaire déclarées à la CAF"), max_length=5,
        choices=CareHours.choices, default=CareHours.REAL,
        help_text=_("Aussi sur les attestations de présence. En heures réelles, la durée de "
                    "l'unité compte quand une heure manque au registre."))
    # The data protection officer (GDPR art. 37), named on « Données personnelles ».
    dpo_name = models.CharField(
        _("délégué à la protection des données (DPO)"), max_length=150, blank=True,
        help_text=_("Nom ou organisme (ex. : le centre de gestion) ; sur la page « Données "
                    "personnelles »."))
    dpo_email = models.EmailField(
        _("e-mail du DPO"), blank=True,
        help_text=_("Où les familles exercent leurs droits ; vide : l'e-mail du service."))
    dpo_address = models.CharField(
        _("adresse postale du DPO"), max_length=255, blank=True,
        help_text=_("Vide : l'adresse postale du service."))
    # Retention (docs/donnees-personnelles.md, « Durées de conservation »): cautious defaults,
    # with floors where a shorter period would lose what the service or the law needs.
    retention_document_months = models.PositiveSmallIntegerField(
        _("conservation des pièces justificatives (mois après leur fin de validité)"),
        default=12,
        validators=[MinValueValidator(1, _("Indiquez un nombre de mois d'au moins 1."))],
        help_text=_("Une pièce est supprimée ce nombre de mois après la fin de sa validité, "
                    "si aucun dossier en cours ne s'en sert."))
    retention_outbox_body_days = models.PositiveSmallIntegerField(
        _("conservation du texte des e-mails envoyés (jours)"), default=90,
        validators=[MinValueValidator(7, _("Indiquez un nombre de jours d'au moins 7."))],
        help_text=_("Le texte d'un e-mail est effacé ce nombre de jours après son envoi ; "
                    "le destinataire, l'objet et la date restent."))
    retention_access_log_days = models.PositiveSmallIntegerField(
        _("conservation des traces d'accès (jours)"), default=365,
        validators=[MinValueValidator(365, _("Les traces d'accès sont gardées au moins un an "
                                             "(recommandation de la CNIL)."))],
        help_text=_("Les consultations de données de santé et de pièces par le service sont "
                    "gardées ce nombre de jours, un an au moins."))
    retention_inactive_account_years = models.PositiveSmallIntegerField(
        _("comptes inactifs : avertissement après (années)"), default=3,
        validators=[MinValueValidator(1, _("Indiquez un nombre d'années d'au moins 1."))],
        help_text=_("Un compte sans connexion depuis ce nombre d'années est prévenu par "
                    "e-mail, puis anonymisé 30 jours plus tard s'il reste inactif ; ses "
                    "factures et paiements sont gardés."))
    history = HistoricalRecords(verbose_name=_("historique des paramètres de la commune"))

    class Meta:
        verbose_name = _("paramètres de la commune")
        verbose_name_plural = _("paramètres de la commune")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="commune_settings_singleton"),
        ]

    def __str__(self):
        return str(_("Paramètres de la commune de %(name)s") % {"name": self.name})

    def save(self, *args, **kwargs):
        self.id = 1
        self.regie_iban = validators.compact(self.regie_iban)
        self.regie_bic = validators.compact(self.regie_bic)
        self.sepa_creditor_id = validators.compact(self.sepa_creditor_id)
        super().save(*args, **kwargs)

    def clean(self):
        if self.offers(self.PaymentMethod.DIRECT_DEBIT) and not (
                self.regie_iban and self.sepa_creditor_id):
            raise ValidationError({"payment_methods": _(
                "Le prélèvement demande l'IBAN de la régie et son identifiant créancier SEPA "
                "(ICS) : indiquez-les, ou ne proposez pas le prélèvement.")})

    @property
    def postal_code_list(self) -> list[str]:
        return [code.strip() for code in self.postal_codes.split(",") if code.strip()]

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of four characters, as banks print it."""
        return " ".join(self.regie_iban[i:i + 4] for i in range(0, len(self.regie_iban), 4))

    @property
    def dpo_contact_email(self) -> str:
        return self.dpo_email or self.service_email

    @property
    def dpo_contact_address(self) -> str:
        return self.dpo_address or self.postal_address

    def offers(self, method: str) -> bool:
        return method in self.payment_methods
