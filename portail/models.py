"""The outbox: every e-mail the portal sends is first a row here (DESIGN.md, invariant 5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Abandonné après trop d'échecs")

    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)
    template = models.CharField(_("modèle"), max_length=100, blank=True)
    to = models.JSONField(_("destinataires"))
    subject = models.CharField(_("objet"), max_length=255)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"), blank=True)
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
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_date",
            )
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"
