from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import outbox
from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "recipients", "status", "attempts", "sent_at"]
    list_filter = ["status", "template", "created_at"]
    search_fields = ["subject", "to"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_now"]

    @admin.display(description=_("destinataires"))
    def recipients(self, message):
        return ", ".join(message.to)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Renvoyer maintenant les messages non envoyés"),
                  permissions=["view"])
    def retry_now(self, request, queryset):
        ids = list(queryset.exclude(status=OutboxMessage.Status.SENT).values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ids).update(status=OutboxMessage.Status.PENDING)
        for message_id in ids:
            outbox.dispatch(message_id)  # admin actions run outside a transaction
        self.message_user(request, _("%(count)d message(s) remis en file d'envoi.")
                          % {"count": len(ids)})
