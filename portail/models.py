"""Messages to families (« messages aux familles »): what staff send to an audience of families
through the outbox. They live in the roof because an audience gathers every app: an activity's
or a site's enrolments, a day's bookings, unpaid invoices, dossiers not yet submitted.

A message is a draft until staff send it; sending records one delivery per family of the
audience (never two: unique per message and family) and a Celery task then writes each
family's e-mail, or its letter to print, in batches (portail/messaging.py)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from familles.models import private_storage


class Message(models.Model):
    class Kind(models.TextChoices):
        CLOSURE = "closure", _("Fermeture")
        STRIKE = "strike", _("Grève")
        MENU = "menu", _("Menus")
        CAMPAIGN = "campaign", _("Campagne d'inscription")
        INFORMATION = "information", _("Information")

    class Audience(models.TextChoices):
        ACTIVITY = "activity", _("Les familles inscrites à une activité")
        SITE = "site", _("Les familles inscrites dans un lieu d'accueil")
        DAY = "day", _("Les familles ayant une réservation un jour donné")
        SCHOOL = "school", _("Les familles d'une école")
        UNPAID = "unpaid", _("Les familles ayant une facture impayée")
        FILES_PENDING = "files_pending", _("Les familles dont un dossier n'est pas transmis")

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")

    kind = models.CharField(_("type de message"), max_length=15, choices=Kind.choices,
                            default=Kind.INFORMATION)
    subject = models.CharField(_("objet"), max_length=150)
    body = models.TextField(_("texte du message"))
    audience = models.CharField(_("destinataires"), max_length=15, choices=Audience.choices)
    # What the audience needs, by kind (the constraints below say which is required).
    activity = models.ForeignKey(
        "inscriptions.Activity", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("activité"),
        help_text=_("Obligatoire pour « une activité » ; facultative pour « un jour donné » "
                    "(sinon toutes les activités de ce jour)."))
    site = models.ForeignKey("inscriptions.Site", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+", verbose_name=_("lieu d'accueil"))
    day = models.DateField(_("jour"), null=True, blank=True)
    school = models.CharField(_("école"), max_length=150, blank=True)
    school_year = models.ForeignKey(
        "inscriptions.SchoolYear", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("année scolaire du dossier"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.DRAFT, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("rédigé par"),
                                   editable=False)
    created_at = models.DateTimeField(_("rédigé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("envoyé par"),
                                editable=False)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True, editable=False)
    # When the last family's e-mail or letter was written (the task's end).
    written_at = models.DateTimeField(_("tout écrit le"), null=True, blank=True,
                                      editable=False)

    class Meta:
        verbose_name = _("message aux familles")
        verbose_name_plural = _("messages aux familles")
        ordering = ["-created_at", "-pk"]
        permissions = [("send_message", _("Peut envoyer un message aux familles"))]
        constraints = [
            models.CheckConstraint(condition=~Q(audience="activity") | Q(activity__isnull=False),
                                   name="message_activity_audience_has_activity"),
            models.CheckConstraint(condition=~Q(audience="site") | Q(site__isnull=False),
                                   name="message_site_audience_has_site"),
            models.CheckConstraint(condition=~Q(audience="day") | Q(day__isnull=False),
                                   name="message_day_audience_has_day"),
            models.CheckConstraint(condition=~Q(audience="school") | ~Q(school=""),
                                   name="message_school_audience_has_school"),
            models.CheckConstraint(
                condition=~Q(audience="files_pending") | Q(school_year__isnull=False),
                name="message_files_audience_has_year"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(sent_at__isnull=False, sent_by__isnull=False),
                name="message_sent_has_date_and_author"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT


class MessageDelivery(models.Model):
    """One family of a sent message's audience: created when staff send, written (its e-mail
    or letter in the outbox) by the task."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="deliveries",
                                verbose_name=_("message"))
    family = models.ForeignKey("familles.Family", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("famille"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    written_at = models.DateTimeField(_("écrit le"), null=True, blank=True)
    emails = models.PositiveSmallIntegerField(_("e-mails écrits"), default=0)
    letter = models.BooleanField(_("courrier à imprimer"), default=False)

    class Meta:
        verbose_name = _("envoi à une famille")
        verbose_name_plural = _("envois aux familles")
        ordering = ["message", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "family"],
                                    name="messagedelivery_once_per_family"),
        ]
        # The parent's dashboard reads his household's messages.
        indexes = [models.Index(fields=["family", "message"], name="messagedelivery_family")]

    def __str__(self):
        return f"{self.message} – {self.family}"


class DataExport(models.Model):
    """A household's copy of everything the portal holds on it (GDPR art. 15 and 20): a ZIP
    built by Celery in the private storage, never publicly served; only the household's
    guardians download it, until it expires (portail/personal_data.py)."""

    class State(models.TextChoices):
        BUILDING = "building", _("En préparation")
        READY = "ready", _("Prête")
        FAILED = "failed", _("Échouée")
        EXPIRED = "expired", _("Expirée, supprimée")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    family = models.ForeignKey("familles.Family", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("famille"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+",
                                     verbose_name=_("demandée par"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.BUILDING)
    file = models.FileField(_("archive"), storage=private_storage, upload_to="exports/",
                            max_length=255, blank=True)
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)

    class Meta:
        verbose_name = _("export des données d'une famille")
        verbose_name_plural = _("exports des données des familles")
        ordering = ["-requested_at"]
        constraints = [
            # One export in preparation at a time per household.
            models.UniqueConstraint(fields=["family"], condition=Q(state="building"),
                                    name="dataexport_one_building_per_family"),
            models.CheckConstraint(
                condition=~Q(state="ready") | (Q(expires_at__isnull=False) & ~Q(file="")),
                name="dataexport_ready_has_file_and_expiry"),
        ]

    def __str__(self):
        return f"{self.family_id} – {self.requested_at:%d/%m/%Y %H:%M}"


class ErasureRequest(models.Model):
    """A guardian asks to close the account and erase the data (GDPR art. 17); staff see
    the plan (portail/erasure_plan.py: what goes, what the law keeps) and approve or refuse
    with a reason (portail/erasure.py). One pending request per account."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        DONE = "done", _("Approuvée, données effacées")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée par la famille")

    family = models.ForeignKey("familles.Family", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("famille"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("demandée par"))
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    message = models.TextField(_("message de la famille"), blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("examinée par"))
    reviewed_at = models.DateTimeField(_("examinée le"), null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    # What went and what stayed, counted at approval (the request's record afterwards).
    outcome = models.JSONField(_("résultat"), default=dict, blank=True)

    class Meta:
        verbose_name = _("demande d'effacement")
        verbose_name_plural = _("demandes d'effacement")
        ordering = ["-requested_at", "-pk"]
        permissions = [("approve_erasure", _("Peut approuver ou refuser une demande "
                                             "d'effacement"))]
        constraints = [
            models.UniqueConstraint(fields=["requested_by"], condition=Q(state="pending"),
                                    name="erasurerequest_one_pending_per_account"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "cancelled"])
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="erasurerequest_reviewed_has_who_and_when"),
            models.CheckConstraint(condition=~Q(state="refused") | ~Q(refusal_reason=""),
                                   name="erasurerequest_refusal_has_reason"),
        ]

    def __str__(self):
        return f"{self.family} – {self.requested_at:%d/%m/%Y}"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING
