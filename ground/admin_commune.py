"""The commune's settings in the admin: one change page, with its history (ground module)."""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import validators
from .commune import commune
from .models import CommuneSettings


class CommuneSettingsForm(forms.ModelForm):
    payment_methods = forms.MultipleChoiceField(
        label=_("Moyens de paiement proposés"), required=False,
        choices=CommuneSettings.PaymentMethod.choices, widget=forms.CheckboxSelectMultiple,
        help_text=CommuneSettings._meta.get_field("payment_methods").help_text)

    class Meta:
        model = CommuneSettings
        fields = ["name", "service_name", "service_phone", "service_email", "postal_address",
                  "postal_codes", "school_holiday_zone", "justification_hours",
                  "booking_summary_minutes",
                  "reregistration_reminder_days", "document_expiry_notice_days",
                  "invoice_due_days", "invoice_reminder_days", "no_qf_bracket",
                  "payment_methods", "regie_iban", "regie_bic", "sepa_creditor_id",
                  "direct_debit_notice_days", "direct_debit_reject_fee_cents", "regie_siret",
                  "caf_care_hours", "dpo_name", "dpo_email", "dpo_address",
                  "retention_document_months", "retention_outbox_body_days",
                  "retention_access_log_days", "retention_inactive_account_years"]
        widgets = {"postal_address": forms.TextInput(attrs={"size": 60}),
                   "dpo_address": forms.TextInput(attrs={"size": 60})}

    def clean_postal_codes(self):
        # Written back as staff will read it next time: "56000, 56100".
        return ", ".join(validators.postal_codes(self.cleaned_data["postal_codes"]))

    def clean_payment_methods(self):
        chosen = self.cleaned_data["payment_methods"]
        return [value for value, _label in CommuneSettings.PaymentMethod.choices
                if value in chosen]


@admin.register(CommuneSettings)
class CommuneSettingsAdmin(SimpleHistoryAdmin):
    """One row, always there (the migration creates it): the list opens it, nobody adds or
    deletes it. Every change is kept in its history (who, when, what)."""

    form = CommuneSettingsForm
    fieldsets = [
        (_("La commune et le service"), {"fields": [
            "name", "service_name", "service_phone", "service_email", "postal_address",
            "postal_codes", "school_holiday_zone"]}),
        (_("Délais"), {"fields": [
            "justification_hours", "reregistration_reminder_days",
            "document_expiry_notice_days", "booking_summary_minutes"]}),
        (_("Facturation"), {"fields": [
            "invoice_due_days", "invoice_reminder_days", "no_qf_bracket", "payment_methods"]}),
        (_("La régie"), {"fields": ["regie_iban", "regie_bic", "sepa_creditor_id",
                                    "regie_siret"]}),
        (_("Prélèvement automatique"), {"fields": [
            "direct_debit_notice_days", "direct_debit_reject_fee_cents"]}),
        (_("CAF et attestations"), {"fields": ["caf_care_hours"]}),
        (_("Données personnelles"), {"fields": [
            "dpo_name", "dpo_email", "dpo_address", "retention_document_months",
            "retention_outbox_body_days", "retention_access_log_days",
            "retention_inactive_account_years"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = commune()  # created with the defaults if a flush removed it
        return redirect(reverse("admin:ground_communesettings_change", args=[row.pk]))
