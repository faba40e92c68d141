from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .admin_health import health_data_accessed
from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Staff follow every e-mail's delivery. A body carrying a secret is never shown (it is
    sealed, then dropped once sent); one carrying health data only to staff allowed to see
    health data, and each reading is recorded (docs/security.md, section 1)."""

    list_display = ["created_at", "subject", "recipients", "content", "status", "attempts",
                    "sent_at"]
    list_filter = ["status", "content", "template", "created_at"]
    # Never a body: a search would tell, letter by letter, what the page does not show.
    search_fields = ["subject", "to"]
    fields = ["created_at", "template", "to", "subject", "content", "body", "status", "attempts",
              "last_attempt_at", "last_error", "sent_at", "from_email", "reply_to"]
    readonly_fields = [*fields, "body_withheld"]
    actions = ["retry_now"]

    @admin.display(description=_("destinataires"))
    def recipients(self, message):
        return ", ".join(message.to)

    def can_see_health(self, request):
        return request.user.has_perm(settings.PORTAIL_HEALTH_PERMISSION)

    def get_fields(self, request, obj=None):
        if (obj is not None and obj.content == OutboxMessage.Content.HEALTH
                and not self.can_see_health(request)):
            return ["body_withheld" if f == "body" else f for f in self.fields]
        return self.fields

    @admin.display(description=_("texte"))
    def body(self, message):
        if message.content == OutboxMessage.Content.SECRET:
            return _("Contient un lien ou un code personnel : jamais affiché, effacé une "
                     "fois envoyé ou abandonné.")
        try:
            text, _html = outbox.bodies(message)
        except InvalidToken:  # sealed under a SECRET_KEY no longer in SECRET_KEY_FALLBACKS
            return _("Illisible : scellé avec une clé qui n'est plus celle du portail.")
        return format_html('<div style="white-space: pre-wrap">{}</div>', text)

    @admin.display(description=_("texte"))
    def body_withheld(self, message):
        return _("Contient des données de santé : réservé aux agents habilités à les "
                 "consulter.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        message = self.get_object(request, object_id)
        if (message is not None and message.content == OutboxMessage.Content.HEALTH
                and self.can_see_health(request)):
            # Journaled by the app that keeps the health journal (the ground imports no app).
            health_data_accessed.send(sender=OutboxMessage, request=request, obj=message,
                                      action="view", fields=["body"])
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Renvoyer maintenant les messages non envoyés"),
                  permissions=["view"])
    def retry_now(self, request, queryset):
        unsent = queryset.exclude(status=OutboxMessage.Status.SENT)
        # An abandoned secret's body, or farewell's address, is gone: nothing to resend.
        gone = {"content__in": [OutboxMessage.Content.SECRET, OutboxMessage.Content.FAREWELL],
                "status": OutboxMessage.Status.FAILED}
        dropped = unsent.filter(**gone).count()
        ids = list(unsent.exclude(**gone)
                   .values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ids).update(status=OutboxMessage.Status.PENDING)
        for message_id in ids:
            outbox.dispatch(message_id)  # admin actions run outside a transaction
        if ids or not dropped:
            self.message_user(request, _("%(count)d message(s) remis en file d'envoi.")
                              % {"count": len(ids)})
        if dropped:
            self.message_user(request, ngettext(
                "%(count)d message personnel (lien ou code) n'a pas été renvoyé : son contenu "
                "est effacé après un échec définitif ; la personne doit refaire sa demande.",
                "%(count)d messages personnels (lien ou code) n'ont pas été renvoyés : leur "
                "contenu est effacé après un échec définitif ; les personnes doivent refaire "
                "leur demande.", dropped) % {"count": dropped}, messages.WARNING)
from .admin_commune import CommuneSettingsAdmin  # noqa: E402, F401  (the commune's settings)
