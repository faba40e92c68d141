"""Staff tools of the facturation app: tariffs and billing rules, the monthly run (prepare a
draft, check it, issue it), invoices and credit notes (read-only, never deleted), payments
recorded at the desk, the families' balances, unpaid invoices by age, and the treasury's
export. Every change of money goes through facturation.services."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_mixins import ReadOnlyAdminMixin
from inscriptions.models import ActivityUnit

from .. import caf
from ..exports import (
    InvoiceExportForm,
    MonthField,
    export_response,
    month_label,
    previous_month,
    to_euros,
)
from ..models import (
    BillingRule,
    BillingRun,
    CreditNote,
    Invoice,
    InvoiceLine,
    Payment,
    Tariff,
    TariffBracket,
    UnmatchedPayment,
    euros,
)
from ..queries import Status, family_balances, status_of
from ..services.billing import issue_run, prepare_run
from ..services.payments import COUNTER_METHODS, record_payment
from . import attestations  # noqa: F401  (attestations: drafts, publishing, PDFs)


def _words(text, css):
    return format_html('<span class="state {}">{}</span>', css, text)


def euros_to_cents(value: Decimal) -> int:
    """Decimal("12.34") → 1234, exactly (the form allows two decimals at most)."""
    return int((value * 100).to_integral_exact())


class EurosField(forms.DecimalField):
    """An amount typed in euros ("12,50"), two decimals at most."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 9)
        super().__init__(decimal_places=2, min_value=Decimal("0"), localize=True, **kwargs)


# Tariffs and billing rules --------------------------------------------------------------------

class TariffBracketForm(forms.ModelForm):
    """Prices typed and shown in euros, stored in cents."""

    price = EurosField(label=_("prix commune (€)"))
    outside_price = EurosField(label=_("prix hors commune (€)"))

    class Meta:
        model = TariffBracket
        fields = ["qf_max", "price", "outside_price"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("price", to_euros(self.instance.price_cents))
            self.initial.setdefault("outside_price",
                                    to_euros(self.instance.outside_price_cents))

    def save(self, commit=True):
        self.instance.price_cents = euros_to_cents(self.cleaned_data["price"])
        self.instance.outside_price_cents = euros_to_cents(self.cleaned_data["outside_price"])
        return super().save(commit)


class TariffBracketFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [form for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        bounds = [form.cleaned_data.get("qf_max") for form in kept]
        if None not in bounds:
            raise ValidationError(_t("Ajoutez la tranche la plus haute (QF « jusqu'à » "
                                     "laissé vide) : elle s'applique au-delà des autres."))
        if bounds.count(None) > 1 or len(set(bounds)) < len(bounds):
            raise ValidationError(_t("Deux tranches ont la même limite de QF."))


class TariffBracketInline(admin.TabularInline):
    model = TariffBracket
    form = TariffBracketForm
    formset = TariffBracketFormSet
    extra = 3
    fields = ["qf_max", "price", "outside_price"]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.activity.name} ({unit.activity.school_year}) – {unit.label}"


class TariffForm(forms.ModelForm):
    unit = UnitChoiceField(
        label=_("unité"), queryset=ActivityUnit.objects.select_related(
            "activity__school_year").order_by("-activity__school_year__start_date",
                                              "activity__name", "position"))

    class Meta:
        model = Tariff
        fields = ["unit", "valid_from", "sibling_reduction_percent"]


@admin.register(Tariff)
class TariffAdmin(SimpleHistoryAdmin):
    form = TariffForm
    inlines = [TariffBracketInline]
    list_display = ["unit_label", "activity", "school_year", "valid_from", "prices",
                    "sibling_reduction_percent"]
    list_filter = ["unit__activity__school_year", "unit__activity"]
    list_select_related = ["unit__activity__school_year"]
    search_fields = ["unit__activity__name", "unit__label"]
    date_hierarchy = "valid_from"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("brackets")

    def has_delete_permission(self, request, obj=None):
        return False  # a newer tariff (from a later date) replaces it

    @admin.display(description=_("unité"), ordering="unit__label")
    def unit_label(self, tariff):
        return tariff.unit.label

    @admin.display(description=_("activité"), ordering="unit__activity__name")
    def activity(self, tariff):
        return tariff.unit.activity.name

    @admin.display(description=_("année scolaire"),
                   ordering="unit__activity__school_year__start_date")
    def school_year(self, tariff):
        return tariff.unit.activity.school_year

    @admin.display(description=_("prix par tranche (commune / hors commune)"))
    def prices(self, tariff):
        parts = []
        for bracket in tariff.brackets.all():
            bound = (_t("au-delà") if bracket.qf_max is None
                     else _t("QF ≤ %(qf)s €") % {"qf": bracket.qf_max})
            parts.append(f"{bound} : {euros(bracket.price_cents)} / "
                         f"{euros(bracket.outside_price_cents)}")
        return " · ".join(parts) or "–"


@admin.register(BillingRule)
class BillingRuleAdmin(SimpleHistoryAdmin):
    list_display = ["activity", "bill_unjustified_absence", "bill_late_cancellation"]
    list_filter = ["activity__school_year", "bill_unjustified_absence", "bill_late_cancellation"]
    list_select_related = ["activity__school_year"]
    search_fields = ["activity__name"]  # without a rule, an activity bills both

    def has_delete_permission(self, request, obj=None):
        return False


# The monthly billing run ----------------------------------------------------------------------

class PrepareRunForm(forms.Form):
    month = MonthField(label=_("Mois à facturer"), initial=previous_month,
                       help_text=_("Par exemple 03/2027. Préparer à nouveau un mois remplace "
                                   "son brouillon ; les factures déjà émises ne changent pas."))

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month > timezone.localdate().replace(day=1):
            raise ValidationError(_t("Ce mois n'a pas encore commencé."))
        return month


RUN_CSS = {BillingRun.State.DRAFT: "state-wait", BillingRun.State.ISSUED: "state-ok"}


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    """Runs are prepared from the « Préparer » page (or by beat on the 1st), checked on their
    page, then issued with the « Émettre » button."""

    list_display = ["month_name", "state_words", "invoice_count", "prepared_at", "prepared_by",
                    "issued_at", "issued_by"]
    list_filter = ["state"]
    list_select_related = ["prepared_by", "issued_by"]
    fields = ["month_name", "state_words", "prepared_at", "prepared_by", "issued_at",
              "issued_by"]
    readonly_fields = fields
    change_list_template = "admin/facturation/billingrun/change_list.html"
    change_form_template = "admin/facturation/billingrun/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(invoices_n=Count("invoices"))

    # Only through the prepare page (add permission) and the issue button.
    def has_add_permission(self, request):
        return False

    def has_prepare_permission(self, request):
        return request.user.has_perm("facturation.add_billingrun")

    def has_issue_permission(self, request):
        return request.user.has_perm("facturation.issue_billingrun")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("mois"), ordering="month")
    def month_name(self, run):
        return month_label(run.month)

    @admin.display(description=_("état"), ordering="state")
    def state_words(self, run):
        return _words(run.get_state_display(), RUN_CSS[run.state])

    @admin.display(description=_("factures"), ordering="invoices_n")
    def invoice_count(self, run):
        return run.invoices_n

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preparer/", view(self.prepare_view), name="facturation_billingrun_prepare"),
            path("<int:pk>/emettre/", view(self.issue_view),
                 name="facturation_billingrun_issue"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_prepare": self.has_prepare_permission(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if run is not None:
            invoices = list(run.invoices.with_balances().select_related(
                "family", "corrects").annotate(line_count=Count("lines")).order_by(
                "family__name", "family_id"))
            context.update({
                "invoices": invoices,
                "run_total": euros(sum(i.total_cents for i in invoices)),
                "is_draft": run.state == BillingRun.State.DRAFT,
                "can_issue": (run.state == BillingRun.State.DRAFT
                              and self.has_issue_permission(request)),
                "can_prepare": (run.state == BillingRun.State.DRAFT
                                and self.has_prepare_permission(request)),
            })
        return super().change_view(request, object_id, form_url, context)

    def prepare_view(self, request):
        if not self.has_prepare_permission(request):
            raise PermissionDenied
        form = PrepareRunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            month = form.cleaned_data["month"]
            try:
                run = prepare_run(month, request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                count = run.invoices.count()
                self.message_user(request, ngettext(
                    "Brouillon de %(month)s préparé : %(count)d facture à vérifier avant "
                    "de l'émettre.",
                    "Brouillon de %(month)s préparé : %(count)d factures à vérifier avant "
                    "de les émettre.", count) % {"month": month_label(month), "count": count},
                    messages.SUCCESS)
                return redirect("admin:facturation_billingrun_change", run.pk)
        return TemplateResponse(request, "admin/facturation/billingrun/prepare.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _t("Préparer la facturation d'un mois"), "form": form,
        }, status=400 if form.errors else 200)

    def issue_view(self, request, pk):
        if not self.has_issue_permission(request):
            raise PermissionDenied
        run = get_object_or_404(BillingRun, pk=pk)
        if request.method != "POST":  # a GET issues nothing
            return redirect("admin:facturation_billingrun_change", run.pk)
        corrections = run.invoices.filter(corrects__isnull=False).count()
        try:
            issue_run(run.pk, request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            issued = run.invoices.filter(state=Invoice.State.ISSUED).count()
            message = ngettext(
                "%(count)d facture émise ; les familles sont prévenues par e-mail.",
                "%(count)d factures émises ; les familles sont prévenues par e-mail.",
                issued) % {"count": issued}
            if corrections:
                message += " " + ngettext(
                    "%(count)d facture précédente est annulée par un avoir.",
                    "%(count)d factures précédentes sont annulées par un avoir.",
                    corrections) % {"count": corrections}
            self.message_user(request, message, messages.SUCCESS)
        return redirect("admin:facturation_billingrun_change", run.pk)


# Invoices and credit notes (read-only, never deleted) -----------------------------------------

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
    inlines = [InvoiceLineInline, CreditNoteInline, PaymentInline]
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
            return _words(_t("brouillon, pas encore émise"), "state-wait")
        if invoice.balance < 0:
            return _words(_t("trop-perçu de %(amount)s, à rembourser") % {
                "amount": euros(-invoice.balance)}, "state-wait")
        status = status_of(invoice, timezone.localdate())
        if status == Status.CANCELLED:
            return _words(_t("annulée par un avoir"), "state-ok")
        if status == Status.PAID:
            return _words(_t("réglée"), "state-ok")
        text = euros(invoice.balance)
        if status == Status.LATE:
            return _words(_t("%(amount)s, en retard") % {"amount": text}, "state-ko")
        return _words(text, "state-wait")

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
        if invoice is not None and invoice.state == Invoice.State.ISSUED and \
                invoice.balance > 0 and request.user.has_perm("facturation.add_payment"):
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


# Payments -------------------------------------------------------------------------------------

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
            return _words(_t("non"), "state-neutral")
        return _words(_t("oui : %(reason)s") % {"reason": payment.flag_reason or "–"},
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
from .rollover import SchoolYearWithRolloverAdmin  # noqa: E402, F401  (next year in one click)
