"""The outbox: every e-mail the portal sends is first a row here (DESIGN.md, invariant 5).

A message that carries a secret or health data keeps its body sealed (ground/sealing.py), never
in `body_text`/`body_html`: staff see who, when, which template and the delivery state. A
secret's seal is dropped once the message is sent or abandoned (docs/security.md, section 1)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
            # An ordinary body is in clear; any other only sealed, never in clear.
            models.CheckConstraint(
                condition=models.Q(content="ordinary", sealed_body="")
                | (~models.Q(content="ordinary") & models.Q(body_text="", body_html="")),
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
