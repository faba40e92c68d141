"""Payments recorded at the desk, and online payments no invoice took (refunded in Stripe)."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_mixins import state_label

from ..models import Invoice, Payment, UnmatchedPayment, euros
from ..services.payments import COUNTER_METHODS, record_payment
from .fields import EurosField, euros_to_cents


class PaymentForm(forms.Form):
    """A payment received at the desk or by transfer, for one issued invoice."""

    invoice_number = forms.CharField(label=_("Numéro de la facture"), max_length=20,
                                     help_text=_("Par exemple 2027-000123."))
    method = forms.ChoiceField(label=_("Mode de paiement"),
                               choices=[(m.value, m.label) for m in COUNTER_METHODS])
    amount = EurosField(label=_("Montant (€)"))
    received_on = forms.DateField(label=_("Reçu le"), initial=timezone.localdate,
                                  widget=forms.DateInput(attrs={"type": "date"},
                                                         format="%Y-%m-%d"))
    reference = forms.CharField(label=_("Référence"), max_length=100, required=False,
                                help_text=_("Numéro de chèque, de virement, de titre CESU…"))

    def clean_invoice_number(self):
        number = self.cleaned_data["invoice_number"].strip()
        invoice = Invoice.objects.filter(number=number, state=Invoice.State.ISSUED).first()
        if invoice is None:
            raise ValidationError(_t("Aucune facture émise ne porte ce numéro."))
        self.invoice = invoice
        return number

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise ValidationError(_t("Le montant doit être positif."))
        return amount

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise ValidationError(_t("La date de réception ne peut pas être dans le futur."))
        return day

    def received_at(self):
        day = self.cleaned_data["received_on"]
        now = timezone.localtime()
        if day == now.date():
            return now
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


class RefundFilter(admin.SimpleListFilter):
    title = _("à rembourser")
    parameter_name = "a_rembourser"

    def lookups(self, request, model_admin):
        return [("oui", _("oui")), ("non", _("non"))]

    def queryset(self, request, queryset):
        if self.value() in ("oui", "non"):
            return queryset.filter(flagged_for_refund=self.value() == "oui")
        return queryset


@admin.register(Payment)
class PaymentAdmin(SimpleHistoryAdmin):
    """Payments are recorded through the payment service (never edited nor deleted); card
    payments come from Stripe."""

    list_display = ["received_at", "invoice_number", "family", "method", "amount", "reference",
                    "refund_words", "recorded_by"]
    list_filter = [RefundFilter, "method"]
    search_fields = ["invoice__number", "invoice__family__name", "reference"]
    list_select_related = ["invoice__family", "recorded_by"]
    date_hierarchy = "received_at"
    fields = ["invoice_link", "family", "method", "amount", "received_at", "reference",
              "recorded_by", "refund_words", "flag_reason", "stripe_session_id",
              "stripe_payment_intent"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("facture"), ordering="invoice__number")
    def invoice_number(self, payment):
        return payment.invoice.number

    @admin.display(description=_("facture"))
    def invoice_link(self, payment):
        url = reverse("admin:facturation_invoice_change", args=[payment.invoice_id])
        return format_html('<a href="{}">{}</a>', url, payment.invoice.number)

    @admin.display(description=_("famille"), ordering="invoice__family__name")
    def family(self, payment):
        return payment.invoice.family

    @admin.display(description=_("montant"), ordering="amount_cents")
    def amount(self, payment):
        return euros(payment.amount_cents)

    @admin.display(description=_("à rembourser"), ordering="flagged_for_refund")
    def refund_words(self, payment):
        if not payment.flagged_for_refund:
            return state_label(_t("non"), "state-neutral")
        return state_label(_t("oui : %(reason)s") % {"reason": payment.flag_reason or "–"},
                      "state-ko")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PaymentForm(request.POST or None,
                           initial={"invoice_number": request.GET.get("facture", "")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payment = record_payment(
                    form.invoice.pk, method=data["method"],
                    amount_cents=euros_to_cents(data["amount"]),
                    received_at=form.received_at(), reference=data["reference"].strip(),
                    staff_user=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                self._payment_message(request, payment)
                return redirect("admin:facturation_invoice_change", form.invoice.pk)
        return TemplateResponse(request, "admin/facturation/payment/record.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": _t("Enregistrer un paiement"),
        }, status=400 if form.errors else 200)

    def _payment_message(self, request, payment):
        invoice = Invoice.objects.filter(pk=payment.invoice_id).with_balances().get()
        remaining = (_t("la facture est réglée.") if invoice.balance <= 0
                     else _t("il reste %(amount)s à payer.") % {
                         "amount": euros(invoice.balance)})
        self.message_user(request, _t(
            "Paiement de %(amount)s enregistré sur la facture %(number)s ; %(remaining)s") % {
            "amount": euros(payment.amount_cents), "number": invoice.number,
            "remaining": remaining}, messages.SUCCESS)


@admin.register(UnmatchedPayment)
class UnmatchedPaymentAdmin(SimpleHistoryAdmin):
    """Online payments no invoice could take (a draft, an unknown invoice): never applied;
    staff refund them in Stripe's dashboard, then tick « remboursé » (the only field they
    change)."""

    list_display = ["received_at", "stripe_session_id", "amount", "invoice_reference",
                    "reason", "refunded"]
    list_filter = ["refunded"]
    search_fields = ["stripe_session_id", "stripe_payment_intent", "invoice_reference"]
    date_hierarchy = "received_at"
    fields = ["received_at", "amount", "reason", "invoice", "invoice_reference",
              "stripe_session_id", "stripe_payment_intent", "refunded"]
    readonly_fields = [f for f in fields if f != "refunded"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("montant"), ordering="amount_cents")
    def amount(self, payment):
        if payment.currency == "eur":
            return euros(payment.amount_cents)
        return f"{payment.amount_cents} ({payment.currency.upper() or '?'})"
