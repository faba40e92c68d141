"""Messages to families in the admin: write a draft, check who it reaches (count, list, by
e-mail or by letter) on its page, then send it with the « Envoyer » button."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ground.admin_mixins import state_label

from . import (
    admin_erasure,  # noqa: F401  (erasure requests)
    admin_exports,  # noqa: F401  (the DPO's register of data exports)
    admin_family,  # noqa: F401  (the family's page registers its URLs)
)
from .audiences import preview
from .forms import MessageForm
from .messaging import save_draft, send_message
from .models import Message

STATE_CSS = {Message.State.DRAFT: "state-wait", Message.State.SENDING: "state-wait",
             Message.State.SENT: "state-ok"}


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    form = MessageForm
    list_display = ["subject", "kind", "audience_words", "state_words", "family_count",
                    "sent_at", "sent_by"]
    list_filter = ["state", "kind", "audience"]
    list_select_related = ["sent_by", "activity", "site", "school_year"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["kind", "subject", "body"]}),
        (_("Choix des destinataires"), {
            "fields": ["audience", "activity", "site", "day", "school", "school_year"],
            "description": _("Selon le choix : l'activité, le lieu, le jour (et, si vous le "
                             "souhaitez, l'activité de ce jour), l'école ou l'année du "
                             "dossier. Les deux foyers d'un enfant en garde alternée sont "
                             "prévenus ; chaque famille ne reçoit le message qu'une fois."),
        }),
    ]
    change_form_template = "admin/portail/message/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(families_n=Count("deliveries"))

    # A message is edited as a draft only; once sent it is a record.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_draft)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_draft)

    def has_send_permission(self, request):
        return request.user.has_perm("portail.send_message")

    @admin.display(description=_("destinataires"), ordering="audience")
    def audience_words(self, message):
        return describe_audience(message)

    @admin.display(description=_("état"), ordering="state")
    def state_words(self, message):
        return state_label(message.get_state_display(), STATE_CSS[message.state])

    @admin.display(description=_("familles"), ordering="families_n")
    def family_count(self, message):
        return message.families_n if not message.is_draft else "–"

    def save_model(self, request, obj, form, change):
        try:
            save_draft(obj, request.user)
        except ValidationError as exc:  # sent meanwhile by someone else
            raise PermissionDenied(" ".join(exc.messages)) from exc

    # After saving a draft, its page: the families it reaches, and the button to send.
    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, _t("Brouillon enregistré : vérifiez les destinataires "
                                      "avant d'envoyer."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:portail_message_change", args=[obj.pk]))

    def response_change(self, request, obj):
        if "_addanother" in request.POST or "_saveasnew" in request.POST:
            return super().response_change(request, obj)
        self.message_user(request, _t("Brouillon enregistré : vérifiez les destinataires "
                                      "avant d'envoyer."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:portail_message_change", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/envoyer/", view(self.send_view), name="portail_message_send"),
                *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        message = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if message is not None and self.has_view_or_change_permission(request, message):
            if message.is_draft:
                context.update({"preview": preview(message),
                                "can_send": self.has_send_permission(request)})
            else:
                context["deliveries"] = list(message.deliveries.select_related(
                    "family").order_by("family__name", "family_id"))
            context["audience_words"] = describe_audience(message)
        return super().change_view(request, object_id, form_url, context)

    def send_view(self, request, pk):
        if not self.has_send_permission(request):
            raise PermissionDenied
        message = get_object_or_404(Message, pk=pk)
        if request.method != "POST":  # a GET sends nothing
            return redirect("admin:portail_message_change", message.pk)
        try:
            count = send_message(message.pk, request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, ngettext(
                "Message envoyé à %(count)d famille : son e-mail ou son courrier est en "
                "cours d'écriture.",
                "Message envoyé à %(count)d familles : leurs e-mails et courriers sont en "
                "cours d'écriture.", count) % {"count": count}, messages.SUCCESS)
        return redirect("admin:portail_message_change", message.pk)


def describe_audience(message: Message) -> str:
    """The audience in words, with what it names (the list and the message's page)."""
    audience = Message.Audience
    match message.audience:
        case audience.ACTIVITY:
            return _t("Familles inscrites à « %(activity)s »") % {"activity": message.activity}
        case audience.SITE:
            return _t("Familles inscrites à « %(site)s »") % {"site": message.site}
        case audience.DAY if message.activity_id:
            return _t("Familles ayant réservé « %(activity)s » le %(day)s") % {
                "activity": message.activity, "day": f"{message.day:%d/%m/%Y}"}
        case audience.DAY:
            return _t("Familles ayant une réservation le %(day)s") % {
                "day": f"{message.day:%d/%m/%Y}"}
        case audience.SCHOOL:
            return _t("Familles de l'école « %(school)s »") % {"school": message.school}
        case audience.FILES_PENDING:
            return _t("Familles dont un dossier %(year)s n'est pas transmis") % {
                "year": message.school_year}
    return str(message.get_audience_display())
