"""The counter's paper trail: the letters to print for households without e-mail, and the
families' journal (what the service did for them)."""

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ground.admin_mixins import ReadOnlyAdminMixin

from ..letters import letters_pdf, mark_printed
from ..models import FamilyEvent, Letter


class PrintedFilter(admin.SimpleListFilter):
    title = _("impression")
    parameter_name = "imprime"

    def lookups(self, request, model_admin):
        return [("non", _("à imprimer")), ("oui", _("imprimés"))]

    def queryset(self, request, queryset):
        if self.value() in ("non", "oui"):
            return queryset.filter(printed_at__isnull=self.value() == "non")
        return queryset


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Letters are written by the services; staff print them (one PDF for a selection), which
    records who printed them and when."""

    list_display = ["created_at", "family", "subject", "printed_at", "printed_by"]
    list_filter = [PrintedFilter, "created_at"]
    search_fields = ["family__name", "subject"]
    list_select_related = ["family", "printed_by"]
    fields = ["family", "template", "subject", "body_text", "created_at", "printed_at",
              "printed_by"]
    readonly_fields = fields
    actions = ["print_letters"]

    @admin.action(description=_("Imprimer les courriers sélectionnés (PDF)"),
                  permissions=["view"])
    def print_letters(self, request, queryset):
        letters = list(queryset.order_by("family__name", "created_at"))
        if not letters:
            self.message_user(request, _("Aucun courrier sélectionné."), messages.WARNING)
            return None
        data = letters_pdf(letters)
        done = mark_printed([letter.pk for letter in letters], request.user)
        self.message_user(request, ngettext("%(n)d courrier imprimé.",
                                            "%(n)d courriers imprimés.", done) % {"n": done})
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="courriers.pdf"'
        return response


@admin.register(FamilyEvent)
class FamilyEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "family", "summary", "channel", "actor_name"]
    list_filter = ["channel", "at"]
    search_fields = ["family__name", "summary", "actor_name"]
    list_select_related = ["family"]
    date_hierarchy = "at"
    fields = ["family", "at", "summary", "reason", "channel", "actor", "actor_name"]
    readonly_fields = fields


class FamilyEventInline(admin.TabularInline):
    """The family's journal, read only, on its page."""

    model = FamilyEvent
    extra = 0
    fields = ["at", "summary", "reason", "channel", "actor_name"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("journal (actions du service pour la famille)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
