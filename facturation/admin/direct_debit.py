"""SEPA direct debit in the admin: the households' mandates (a paper one recorded, one
revoked; the IBAN only masked, never in clear), the collection files (prepared, then
downloaded for the bank or the treasury) and the debits the bank rejected. Preparing a file,
downloading it and recording a reject need the dedicated permission
facturation.manage_direct_debit (docs/prelevement.md)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from familles.models import Family
from ground.admin_mixins import ReadOnlyAdminMixin, state_label

from .. import direct_debit
from ..forms import add_service_errors
from ..models import DebitBatch, DebitItem, FamilyCharge, Mandate, euros
from ..services import direct_debit as services

MANAGE = "facturation.manage_direct_debit"


def _form_page(request, admin_obj, form, title, intro, submit_label):
    return TemplateResponse(request, "admin/facturation/form_page.html", {
        **admin_obj.admin_site.each_context(request), "opts": admin_obj.model._meta,
        "form": form, "title": title, "intro": intro, "submit_label": submit_label,
    }, status=400 if form.errors else 200)


class PaperMandateForm(forms.Form):
    family = forms.ModelChoiceField(label=_("Foyer payeur"), queryset=Family.objects.order_by(
        "name"))
    holder_name = forms.CharField(label=_("Titulaire du compte"), max_length=70)
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)
    signed_on = forms.DateField(label=_("Signé le"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    """Mandates are made by the services (signed online, or recorded here from paper) and
    never edited: a new account is a new mandate. The IBAN is shown masked only."""

    list_display = ["reference", "family", "holder_name", "iban_masked", "signed_on", "source",
                    "status_words", "first_debit_used"]
    list_filter = ["status", "source"]
    search_fields = ["reference", "family__name", "holder_name"]
    list_select_related = ["family"]
    fields = ["reference", "family", "holder_name", "iban_masked", "bic", "creditor_id",
              "signed_on", "source", "status", "first_debit_used", "recorded_by", "revoked_at",
              "revoked_by"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("facturation.change_mandate")

    @admin.display(description=_("état"), ordering="status")
    def status_words(self, mandate):
        css = "state-ok" if mandate.status == Mandate.Status.ACTIVE else "state-neutral"
        return state_label(mandate.get_status_display(), css)

    @admin.action(description=_("Révoquer les mandats sélectionnés"), permissions=["revoke"])
    def revoke(self, request, queryset):
        count = 0
        for mandate in queryset.filter(status=Mandate.Status.ACTIVE).select_related("family"):
            services.revoke_mandate(mandate.family, request.user)
            count += 1
        self.message_user(request, _t("%(count)d mandat(s) révoqué(s) ; les familles sont "
                                      "prévenues par e-mail.") % {"count": count},
                          messages.SUCCESS)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PaperMandateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                mandate = services.record_paper_mandate(
                    data["family"], request.user, iban=data["iban"], bic=data["bic"],
                    holder_name=data["holder_name"], signed_on=data["signed_on"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                self.message_user(request, _t("Mandat %(reference)s enregistré pour %(family)s.")
                                  % {"reference": mandate.reference, "family": mandate.family},
                                  messages.SUCCESS)
                return redirect("admin:facturation_mandate_change", mandate.pk)
        return _form_page(request, self, form, _t("Enregistrer un mandat papier"),
                          _t("Recopiez le mandat que la famille a signé sur papier ; il "
                             "remplace la signature en ligne."), _t("Enregistrer le mandat"))


class BatchForm(forms.Form):
    collection_date = forms.DateField(
        label=_("Date de prélèvement"), widget=forms.DateInput(attrs={"type": "date"},
                                                               format="%Y-%m-%d"),
        help_text=_("Le jour où la banque débite les familles. Le fichier prend chaque facture "
                    "dont la date annoncée est arrivée à ce jour."))


class ManagedDebits(ReadOnlyAdminMixin):
    """Collection files and their debits: read (and made by the services) only with
    manage_direct_debit, never edited nor deleted."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(MANAGE)


class DebitColumns:
    """A debit's columns, in the file's page and in the list of debits."""

    @admin.display(description=_("famille"), ordering="invoice__family__name")
    def family(self, item):
        return item.invoice.family

    @admin.display(description=_("montant"), ordering="amount_cents")
    def amount(self, item):
        return euros(item.amount_cents)

    @admin.display(description=_("rejet"), ordering="rejected_at")
    def reject_words(self, item):
        if item.rejected_at:
            return state_label(item.get_reject_reason_display(), "state-ko")
        url = reverse("admin:facturation_debititem_reject", args=[item.pk])
        return format_html('<a href="{}">{}</a>', url, _t("Enregistrer un rejet"))


class DebitItemInline(ManagedDebits, DebitColumns, admin.TabularInline):
    model = DebitItem
    fields = ["invoice", "family", "amount", "sequence_type", "mandate", "reject_words"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DebitBatch)
class DebitBatchAdmin(ManagedDebits, admin.ModelAdmin):
    list_display = ["collection_date", "count", "total", "created_at", "created_by",
                    "download_link"]
    fields = ["collection_date", "message_id", "count", "total", "created_at", "created_by",
              "download_link"]
    readonly_fields = fields
    inlines = [DebitItemInline]
    list_select_related = ["created_by"]

    def has_add_permission(self, request):
        return request.user.has_perm(MANAGE)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/fichier/", view(self.download_view),
                     name="facturation_debitbatch_download"), *super().get_urls()]

    @admin.display(description=_("fichier"))
    def download_link(self, batch):
        url = reverse("admin:facturation_debitbatch_download", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, _t("Télécharger (pain.008)"))

    def download_view(self, request, pk):
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied
        batch = get_object_or_404(DebitBatch, pk=pk)
        response = HttpResponse(services.batch_xml(batch), content_type="application/xml")
        response["Content-Disposition"] = (
            f'attachment; filename="prelevements-{batch.collection_date:%Y-%m-%d}-'
            f'{batch.message_id}.xml"')
        response["Cache-Control"] = "private, no-store"
        return response

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BatchForm(request.POST or None, initial={
            "collection_date": direct_debit.next_collection_date()})
        if request.method == "POST" and form.is_valid():
            try:
                batch = services.prepare_batch(form.cleaned_data["collection_date"],
                                               request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                self.message_user(request, _t(
                    "Remise préparée : %(count)d prélèvement(s), %(total)s. Téléchargez le "
                    "fichier et transmettez-le à la banque ou à la trésorerie.") % {
                    "count": batch.count, "total": batch.total}, messages.SUCCESS)
                return redirect("admin:facturation_debitbatch_change", batch.pk)
        return _form_page(request, self, form, _t("Préparer une remise de prélèvements"),
                          _t("Les factures émises des foyers qui ont un mandat actif, moins ce "
                             "qui est déjà payé, deviennent un fichier pain.008. Chaque "
                             "facture prélevée est notée payée ; un rejet de la banque la "
                             "rend de nouveau due."), _t("Préparer le fichier"))

    @admin.display(description=_("total"), ordering="total_cents")
    def total(self, batch):
        return batch.total


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Motif du rejet (code ISO)"),
                               choices=DebitItem.RejectReason.choices)


@admin.register(DebitItem)
class DebitItemAdmin(ManagedDebits, DebitColumns, admin.ModelAdmin):
    list_display = ["end_to_end_id", "invoice", "family", "amount", "sequence_type", "batch",
                    "reject_words"]
    list_filter = ["sequence_type", ("rejected_at", admin.EmptyFieldListFilter)]
    search_fields = ["invoice__number", "invoice__family__name", "end_to_end_id"]
    list_select_related = ["invoice__family", "batch"]
    fields = ["batch", "invoice", "family", "mandate", "amount", "sequence_type",
              "end_to_end_id", "rejected_at", "reject_reason", "reject_fee", "rejected_by"]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/rejet/", view(self.reject_view),
                     name="facturation_debititem_reject"), *super().get_urls()]

    @admin.display(description=_("frais de rejet"))
    def reject_fee(self, item):
        return euros(item.reject_fee_cents) if item.rejected_at else "–"

    def reject_view(self, request, pk):
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied
        item = get_object_or_404(DebitItem.objects.select_related("invoice__family"), pk=pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.record_reject(item.pk, form.cleaned_data["reason"], request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                self.message_user(request, _t(
                    "Rejet enregistré : la facture %(number)s est de nouveau à payer et la "
                    "famille est prévenue par e-mail.") % {"number": item.invoice.number},
                    messages.SUCCESS)
                return redirect("admin:facturation_debitbatch_change", item.batch_id)
        return _form_page(request, self, form, _t("Rejet du prélèvement %(reference)s") % {
            "reference": item.end_to_end_id}, _t(
            "Facture %(number)s, %(family)s, %(amount)s. Le paiement du prélèvement est retiré, "
            "la facture redevient due et la famille est prévenue.") % {
            "number": item.invoice.number, "family": item.invoice.family,
            "amount": euros(item.amount_cents)}, _t("Enregistrer le rejet"))


@admin.register(FamilyCharge)
class FamilyChargeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The reject fees to bill, read only: the billing run bills each once (« facturé avec le
    mois » empty: the next month prepared for the household takes it)."""

    list_display = ["created_at", "family", "label", "amount", "month"]
    list_filter = [("month", admin.EmptyFieldListFilter)]
    search_fields = ["family__name", "label"]
    fields = readonly_fields = ["family", "label", "amount", "created_at", "month",
                                "debit_item"]

    @admin.display(description=_("montant"), ordering="amount_cents")
    def amount(self, charge):
        return euros(charge.amount_cents)
