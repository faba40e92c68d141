"""Online payment attempts, read-only: what each provider said of each try, and which
payments are to refund. Staff with the billing permission (view_paymentattempt) read them;
nothing here is a key or a secret (a provider's reference and result code only)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ground.admin_mixins import ReadOnlyAdminMixin, state_label

from ..models import PaymentAttempt, euros

STATE_STYLES = {
    PaymentAttempt.State.PAID: "state-ok", PaymentAttempt.State.REFUSED: "state-ko",
    PaymentAttempt.State.CREATED: "state-wait", PaymentAttempt.State.PENDING: "state-wait",
}


class ToRefundFilter(admin.SimpleListFilter):
    title = _("à rembourser")
    parameter_name = "a_rembourser"

    def lookups(self, request, model_admin):
        return [("oui", _("oui"))]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(state=PaymentAttempt.State.PAID).exclude(refund_reason="")
        return queryset


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "invoice_number", "family", "provider", "state_words",
                    "amount", "refund_words"]
    list_filter = [ToRefundFilter, "state", "provider"]
    search_fields = ["invoice__number", "invoice__family__name", "provider_reference"]
    list_select_related = ["invoice__family"]
    date_hierarchy = "created_at"
    fields = ["invoice_link", "family", "provider", "state_words", "amount", "currency",
              "created_at", "updated_at", "provider_reference", "detail", "payment_link",
              "refund_words"]
    readonly_fields = fields

    @admin.display(description=_("facture"), ordering="invoice__number")
    def invoice_number(self, attempt):
        return attempt.invoice.number

    @admin.display(description=_("facture"))
    def invoice_link(self, attempt):
        url = reverse("admin:facturation_invoice_change", args=[attempt.invoice_id])
        return format_html('<a href="{}">{}</a>', url, attempt.invoice.number)

    @admin.display(description=_("paiement"))
    def payment_link(self, attempt):
        if attempt.payment_id is None:
            return "–"
        url = reverse("admin:facturation_payment_change", args=[attempt.payment_id])
        return format_html('<a href="{}">{}</a>', url, euros(attempt.payment.amount_cents))

    @admin.display(description=_("famille"), ordering="invoice__family__name")
    def family(self, attempt):
        return attempt.invoice.family

    @admin.display(description=_("montant"), ordering="amount_cents")
    def amount(self, attempt):
        return euros(attempt.amount_cents)

    @admin.display(description=_("état"), ordering="state")
    def state_words(self, attempt):
        return state_label(attempt.get_state_display(),
                           STATE_STYLES.get(attempt.state, "state-neutral"))

    @admin.display(description=_("à rembourser"))
    def refund_words(self, attempt):
        if not attempt.refund_reason:
            return state_label(_t("non"), "state-neutral")
        return state_label(_t("oui : %(reason)s") % {"reason": attempt.refund_reason},
                           "state-ko")
