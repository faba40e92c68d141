"""Invoices and credit notes (read-only, never deleted), the families' balances, unpaid
invoices by age and the treasury's export."""

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ground import french
from ground.admin_mixins import ReadOnlyAdminMixin, state_label
from ground.calendar import month_label

from .. import caf
from ..exports import InvoiceExportForm, export_response
from ..models import CreditNote, Invoice, InvoiceCharge, InvoiceLine, Payment, euros
from ..queries import Status, family_balances, status_of


class OverdueFilter(admin.SimpleListFilter):
    """Unpaid invoices by how long they are past due."""

    title = _("en retard")
    parameter_name = "retard"
    BUCKETS = {"1-30": (1, 30), "31-60": (31, 60), "61-90": (61, 90), "plus-de-90": (91, None)}

    def lookups(self, request, model_admin):
        return [("1-30", _("jusqu'à 30 jours")), ("31-60", _("de 31 à 60 jours")),
                ("61-90", _("de 61 à 90 jours")), ("plus-de-90", _("plus de 90 jours")),
                ("toutes", _("toutes les factures en retard"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        today = timezone.localdate()
        low, high = self.BUCKETS.get(value, (1, None))
        queryset = queryset.filter(state=Invoice.State.ISSUED, balance__gt=0,
                                   due_date__lte=today - datetime.timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(due_date__gte=today - datetime.timedelta(days=high))
        return queryset


class BalanceFilter(admin.SimpleListFilter):
    title = _("reste à payer")
    parameter_name = "solde"

    def lookups(self, request, model_admin):
        return [("du", _("à payer")), ("regle", _("réglée ou annulée"))]

    def queryset(self, request, queryset):
        if self.value() == "du":
            return queryset.filter(state=Invoice.State.ISSUED, balance__gt=0)
        if self.value() == "regle":
            return queryset.filter(state=Invoice.State.ISSUED, balance__lte=0)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    """Shown on an invoice's page to whoever may see the invoice; never edited."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("facturation.view_invoice")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceChargeInline(ReadOnlyInline):
    model = InvoiceCharge
    fields = readonly_fields = ["label", "amount"]

    @admin.display(description=_("montant"))
    def amount(self, row):
        return euros(row.amount_cents)


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = readonly_fields = ["child", "activity", "unit", "days", "quantity", "unit_price",
                                "amount"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child", "activity", "unit")

    @admin.display(description=_("dates"))
    def days(self, line):
        return ", ".join(f"{datetime.date.fromisoformat(d):%d/%m}" for d in line.dates)

    @admin.display(description=_("prix unitaire"))
    def unit_price(self, line):
        return euros(line.unit_price_cents)

    @admin.display(description=_("montant"))
    def amount(self, line):
        return euros(line.amount_cents)


class CreditNoteInline(ReadOnlyInline):
    model = CreditNote
    fields = readonly_fields = ["number", "amount", "reason", "issued_at"]

    @admin.display(description=_("montant"))
    def amount(self, note):
        return euros(note.amount_cents)


class PaymentInline(ReadOnlyInline):
    model = Payment
    fk_name = "invoice"
    fields = readonly_fields = ["received_at", "method", "amount", "reference",
                                "flagged_for_refund", "recorded_by"]

    @admin.display(description=_("montant"))
    def amount(self, payment):
        return euros(payment.amount_cents)


INVOICE_CSS = {Invoice.State.DRAFT: "state-wait", Invoice.State.ISSUED: "state-neutral"}


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Issued invoices never change and are never deleted: corrections are credit notes and
    corrective invoices, made by preparing the month again."""

    list_display = ["number_or_draft", "family", "month_name", "total", "balance_words",
                    "due_date", "issued_at"]
    list_filter = [OverdueFilter, BalanceFilter, "state"]
    search_fields = ["number", "family__name"]
    list_select_related = ["family"]
    date_hierarchy = "month"
    inlines = [InvoiceLineInline, InvoiceChargeInline, CreditNoteInline, PaymentInline]
    fields = ["number_or_draft", "family_link", "month_name", "state", "total", "paid",
              "credited", "balance_words", "issued_at", "due_date", "corrects",
              "reminder_sent_at", "run_link"]
    readonly_fields = fields
    change_list_template = "admin/facturation/invoice/change_list.html"
    change_form_template = "admin/facturation/invoice/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).with_balances()

    def get_ordering(self, request):
        return ["-month", "number"]

    @admin.display(description=_("numéro"), ordering="number")
    def number_or_draft(self, invoice):
        return invoice.number or _t("brouillon")

    @admin.display(description=_("mois"), ordering="month")
    def month_name(self, invoice):
        return month_label(invoice.month)

    @admin.display(description=_("total"), ordering="total_cents")
    def total(self, invoice):
        return euros(invoice.total_cents)

    @admin.display(description=_("payé"))
    def paid(self, invoice):
        return euros(invoice.paid_sum)

    @admin.display(description=_("avoirs"))
    def credited(self, invoice):
        return euros(invoice.credited_sum)

    @admin.display(description=_("reste à payer"), ordering="balance")
    def balance_words(self, invoice):
        if invoice.state == Invoice.State.DRAFT:
            return state_label(_t("brouillon, pas encore émise"), "state-wait")
        if invoice.balance < 0:
            return state_label(_t("trop-perçu %(of_amount)s, à rembourser") % {
                "of_amount": french.de(euros(-invoice.balance))}, "state-wait")
        status = status_of(invoice, timezone.localdate())
        if status == Status.CANCELLED:
            return state_label(_t("annulée par un avoir"), "state-ok")
        if status == Status.PAID:
            return state_label(_t("réglée"), "state-ok")
        text = euros(invoice.balance)
        if status == Status.LATE:
            return state_label(_t("%(amount)s, en retard") % {"amount": text}, "state-ko")
        return state_label(text, "state-wait")

    @admin.display(description=_("famille"))
    def family_link(self, invoice):
        url = reverse("admin:familles_family_change", args=[invoice.family_id])
        return format_html('<a href="{}">{}</a>', url, invoice.family)

    @admin.display(description=_("facturation"))
    def run_link(self, invoice):
        url = reverse("admin:facturation_billingrun_change", args=[invoice.run_id])
        return format_html('<a href="{}">{}</a>', url, invoice.run)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if (invoice is not None and invoice.state == Invoice.State.ISSUED
                and invoice.balance > 0 and request.user.has_perm("facturation.add_payment")):
            context["payment_url"] = (reverse("admin:facturation_payment_add")
                                      + f"?facture={invoice.number}")
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="facturation_invoice_export"),
            path("soldes/", view(self.balances_view), name="facturation_invoice_balances"),
            path("heures-caf/", view(self.caf_view), name="facturation_invoice_caf"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = InvoiceExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return export_response(form.cleaned_data["month"], form.cleaned_data["file_format"])
        return TemplateResponse(request, "admin/facturation/invoice/export.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": _t("Exporter les factures d'un mois pour la trésorerie"),
        }, status=400 if form.errors else 200)

    def caf_view(self, request):
        """The CAF's hours billed and attended, for a month or a year (facturation/caf.py)."""
        if not (self.has_view_permission(request)
                and request.user.has_perm("reservations.view_attendance")):
            raise PermissionDenied
        form = caf.CafExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return caf.export_response(form)
        return TemplateResponse(request, "admin/facturation/form_page.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": _t("Heures CAF (prestation de service ALSH et périscolaire)"),
            "intro": _t("Par activité, tranche d'âge (moins de 6 ans, 6 ans et plus, à la date "
                        "de chaque jour) et régime (CAF, MSA, autre, d'après le dossier "
                        "administratif) : les enfants distincts, les heures facturées (factures "
                        "émises non annulées), les heures réalisées (registres de présence) et "
                        "le taux de réalisation. La restauration scolaire n'y figure pas."),
            "submit_label": _t("Télécharger"),
        }, status=400 if form.errors else 200)

    def balances_view(self, request):
        """Per family, what it still owes on its issued invoices (most owed first)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()
        rows = family_balances(query, timezone.localdate())
        for row in rows:
            row["invoices_url"] = (reverse("admin:facturation_invoice_changelist")
                                   + f"?family__id__exact={row['family_id']}&solde=du")
        return TemplateResponse(request, "admin/facturation/invoice/balances.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _t("Soldes des familles"), "rows": rows, "query": query,
            "total_due": euros(sum(r["due"] for r in rows)),
        })


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "invoice", "family", "amount", "reason", "issued_at"]
    search_fields = ["number", "invoice__number", "invoice__family__name"]
    list_select_related = ["invoice__family"]
    date_hierarchy = "issued_at"

    @admin.display(description=_("famille"), ordering="invoice__family__name")
    def family(self, note):
        return note.invoice.family

    @admin.display(description=_("montant"), ordering="amount_cents")
    def amount(self, note):
        return euros(note.amount_cents)
