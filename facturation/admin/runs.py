"""The monthly billing run: prepare a month's draft, check it, issue it."""


from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ground.admin_mixins import state_label
from ground.calendar import month_label, previous_month

from .. import queries
from ..exports import MonthField
from ..models import BillingRun, Invoice, euros
from ..services.billing import draft_counts, issue_run, prepare_month


class PrepareRunForm(forms.Form):
    month = MonthField(label=_("Mois à facturer"), initial=previous_month,
                       help_text=_("Par exemple 03/2027. Un mois se facture une fois terminé "
                                   "(sauf les activités facturées à l'avance). Préparer à "
                                   "nouveau un mois remplace son brouillon ; les factures déjà "
                                   "émises ne changent pas."))


class IssueConfirmForm(forms.Form):
    """The counts staff saw on the confirmation page: issuing checks the draft still has
    them (prepared again meanwhile, it does not)."""

    invoices = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    families = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    total_cents = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


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
        return state_label(run.get_state_display(), RUN_CSS[run.state])

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
            if run.state == BillingRun.State.DRAFT:
                context.update(queries.run_checks(run.month, run.prepared_at))
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
                run = prepare_month(month, request.user)
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
        """« Émettre »: a confirmation page with the counts (GET), then the issue (POST of
        those counts: a draft prepared again in between is not issued)."""
        if not self.has_issue_permission(request):
            raise PermissionDenied
        run = get_object_or_404(BillingRun, pk=pk)
        if run.state != BillingRun.State.DRAFT:
            self.message_user(request, _t("Cette facturation est déjà émise."), messages.ERROR)
            return redirect("admin:facturation_billingrun_change", run.pk)
        invoices = list(run.invoices.all())
        counts = draft_counts(invoices)
        form = IssueConfirmForm(request.POST if request.method == "POST" else None, initial=dict(
            zip(("invoices", "families", "total_cents"), counts, strict=True)))
        if request.method != "POST" or not form.is_valid():
            return TemplateResponse(request, "admin/facturation/billingrun/issue_confirm.html", {
                **self.admin_site.each_context(request), "opts": self.model._meta,
                "original": run, "form": form,
                "title": _t("Émettre la facturation – %(month)s") % {
                    "month": month_label(run.month)},
                "invoice_count": counts[0], "family_count": counts[1],
                "total": euros(counts[2]),
                "corrections": sum(1 for i in invoices if i.corrects_id),
                **queries.run_checks(run.month, run.prepared_at),
            }, status=400 if form.errors else 200)
        corrections = run.invoices.filter(corrects__isnull=False).count()
        confirmed = tuple(form.cleaned_data[name]
                          for name in ("invoices", "families", "total_cents"))
        try:
            issue_run(run.pk, request.user, confirmed=confirmed)
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
