"""The staff's review of dossiers administratifs: the queue, the review page, the decisions."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from portail.admin_mixins import ReadOnlyAdminMixin

from . import services
from .forms import ReturnForm
from .models import AnnualFile, FamilyQuotient, HealthDataAccess, SchoolYear

HEALTH_FIELDS = ("vaccinations_up_to_date", "allergies", "diet", "has_pai", "doctor_name",
                 "doctor_phone", "health_notes")
HEALTH_DOCUMENT_FIELDS = [*HEALTH_FIELDS, "vaccination_document", "pai_document"]


@admin.register(SchoolYear)
class SchoolYearAdmin(SimpleHistoryAdmin):
    list_display = ["label", "start_date", "end_date", "reregistration_opens_at",
                    "reregistration_deadline", "rules_version"]
    readonly_fields = ["opening_notice_sent_at", "deadline_reminder_sent_at"]


def _document_link(document):
    if document is None:
        return "–"
    url = reverse("familles:document_download", args=[document.pk])
    return format_html('<a href="{}?voir=1" target="_blank" rel="noopener">{}</a>', url, document)


class ReadableHistoryHelper(HistoricalRecordContextHelper):
    """The history's changes in the staff's words: choice labels, local dates, "–" for none."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or (isinstance(value, DeletedObject) and value.pk is None):
            return "–"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, datetime.datetime):
            return date_format(timezone.localtime(value), "j F Y à H:i:s")
        return super().prepare_delta_change_value(change, value)


@admin.register(AnnualFile)
class AnnualFileAdmin(SimpleHistoryAdmin):
    list_display = ["child", "family", "school_year", "state", "school", "submitted_at",
                    "decided_at"]
    list_filter = ["school_year", "state", "school"]
    search_fields = ["child__first_name", "child__last_name", "child__family__name",
                     "allowance_number"]
    list_select_related = ["child__family", "school_year"]
    date_hierarchy = "submitted_at"
    actions = ["validate_selected", "return_selected"]
    change_form_template = "admin/inscriptions/annualfile/change_form.html"

    def has_add_permission(self, request):
        return False  # files are started by families

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Staff decide through the dedicated actions; the family's answers are read-only.
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        # The queue: files waiting for a decision come first, oldest first.
        return qs.order_by(
            "-school_year__start_date", "state", "submitted_at")

    @admin.display(description=_("famille"), ordering="child__family__name")
    def family(self, annual_file):
        return annual_file.child.family

    def can_see_health(self, request):
        return request.user.has_perm("inscriptions.view_health_data")

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (_("Enfant et scolarité"), {"fields": ["child", "family", "school_year", "state",
                                                   "school", "school_class"]}),
            (_("Autorisations"), {"fields": ["photo_consent", "outings_consent",
                                             "leave_alone_consent", "emergency_care_consent",
                                             "contacts"]}),
            (_("Garde"), {"fields": ["shared_custody", "custody_document_link",
                                     "payer_family"]}),
            (_("Revenus"), {"fields": ["allowance_body", "allowance_number",
                                       "income_document_link", "quotient"]}),
            (_("Règlement et suivi"), {"fields": ["rules_version_accepted", "rules_accepted_at",
                                                  "submitted_at", "submitted_by", "decided_at",
                                                  "decided_by", "staff_comment"]}),
        ]
        if self.can_see_health(request):
            fieldsets.insert(1, (_("Santé (données sensibles)"), {
                "fields": [*HEALTH_FIELDS, "vaccination_document_link", "pai_document_link"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]

    def set_history_delta_changes(self, request, historical_records,
                                  foreign_keys_are_objs=True):
        # The history shows each change; health changes only to those allowed to see them.
        excluded = [] if self.can_see_health(request) else HEALTH_DOCUMENT_FIELDS
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(current, excluded_fields=excluded,
                                              foreign_keys_are_objs=foreign_keys_are_objs)
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistoryHelper(self.model, historical_record)

    def history_view(self, request, object_id, extra_context=None):
        annual_file = self.get_object(request, object_id)
        if annual_file is not None and self.can_see_health(request):
            services.record_health_access(annual_file, request.user)
        return super().history_view(request, object_id, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        annual_file = self.get_object(request, object_id)
        if annual_file is not None and self.can_see_health(request):
            services.record_health_access(annual_file, request.user)
        extra_context = {**(extra_context or {}), "return_form": ReturnForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("personnes autorisées"))
    def contacts(self, annual_file):
        return format_html_join(
            ", ", "{} ({}, {})",
            ((c, c.relation, c.phone) for c in annual_file.authorised_contacts.all()),
        ) or "–"

    @admin.display(description=_("carnet de vaccination"))
    def vaccination_document_link(self, annual_file):
        return _document_link(annual_file.vaccination_document)

    @admin.display(description=_("document du PAI"))
    def pai_document_link(self, annual_file):
        return _document_link(annual_file.pai_document)

    @admin.display(description=_("calendrier de garde"))
    def custody_document_link(self, annual_file):
        return _document_link(annual_file.custody_document)

    @admin.display(description=_("justificatif de revenus"))
    def income_document_link(self, annual_file):
        return _document_link(annual_file.income_document)

    @admin.display(description=_("quotient familial"))
    def quotient(self, annual_file):
        family = annual_file.billing_family()
        current = services.family_quotient_on(family, annual_file.school_year.start_date)
        url = reverse("admin:inscriptions_familyquotient_add") + f"?family={family.pk}"
        if annual_file.income_document_id:
            url += f"&source_document={annual_file.income_document_id}"
        label = _("Fixer le quotient familial")
        if current is None:
            return format_html('{} – <a href="{}">{}</a>', _("non fixé"), url, label)
        return format_html('{} € – <a href="{}">{}</a>', current.value, url, label)

    # Decisions -------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<int:pk>/valider/", self.admin_site.admin_view(self.validate_view),
                 name="inscriptions_annualfile_validate"),
            path("<int:pk>/renvoyer/", self.admin_site.admin_view(self.return_view),
                 name="inscriptions_annualfile_return"),
            *super().get_urls(),
        ]

    def _check_decide(self, request):
        if not request.user.has_perm("inscriptions.decide_annualfile"):
            raise PermissionDenied

    def validate_view(self, request, pk):
        self._check_decide(request)
        annual_file = get_object_or_404(AnnualFile, pk=pk)
        if request.method == "POST":
            try:
                services.validate(annual_file, request.user)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
            else:
                self.message_user(request, _("Dossier validé ; la famille est prévenue par "
                                             "e-mail."), messages.SUCCESS)
        return redirect("admin:inscriptions_annualfile_changelist")

    def return_view(self, request, pk):
        self._check_decide(request)
        annual_file = get_object_or_404(AnnualFile, pk=pk)
        form = ReturnForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.return_to_family(annual_file, request.user,
                                          form.cleaned_data["comment"])
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
            else:
                self.message_user(request, _("Dossier renvoyé à la famille avec votre "
                                             "commentaire."), messages.SUCCESS)
            return redirect("admin:inscriptions_annualfile_changelist")
        return self._return_page(request, [annual_file], form)

    def _return_page(self, request, files, form, action=None):
        return TemplateResponse(request, "admin/inscriptions/annualfile/return.html", {
            **self.admin_site.each_context(request), "files": files, "form": form,
            "action": action, "opts": self.model._meta,
            "title": _("Renvoyer à la famille"),
        })

    @admin.action(description=_("Valider les dossiers sélectionnés"), permissions=["decide"])
    def validate_selected(self, request, queryset):
        self._apply(request, queryset, lambda f: services.validate(f, request.user),
                    _("%(count)d dossier(s) validé(s)."))

    @admin.action(description=_("Renvoyer les dossiers sélectionnés avec un commentaire"),
                  permissions=["decide"])
    def return_selected(self, request, queryset):
        form = ReturnForm(request.POST if "comment" in request.POST else None)
        if form.is_bound and form.is_valid():
            comment = form.cleaned_data["comment"]
            self._apply(request, queryset,
                        lambda f: services.return_to_family(f, request.user, comment),
                        _("%(count)d dossier(s) renvoyé(s) à la famille."))
            return None
        return self._return_page(request, list(queryset), form, action="return_selected")

    def has_decide_permission(self, request):
        return request.user.has_perm("inscriptions.decide_annualfile")

    def _apply(self, request, queryset, decide, success):
        done = 0
        for annual_file in queryset:
            try:
                decide(annual_file)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, success % {"count": done}, messages.SUCCESS)


class FamilyQuotientForm(forms.ModelForm):
    class Meta:
        model = FamilyQuotient
        fields = ["family", "value", "valid_from", "valid_until", "source_document"]

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("La fin de validité doit suivre son début."))
        document, family = data.get("source_document"), data.get("family")
        if document and family and document.family_id != family.pk:
            self.add_error("source_document",
                           _("Le justificatif doit appartenir à cette famille."))
        return data


@admin.register(FamilyQuotient)
class FamilyQuotientAdmin(SimpleHistoryAdmin):
    form = FamilyQuotientForm
    list_display = ["family", "value", "valid_from", "valid_until", "set_by", "set_at"]
    search_fields = ["family__name"]
    list_filter = ["valid_from"]
    raw_id_fields = ["family", "source_document"]
    list_select_related = ["family", "set_by"]

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.set_family_quotient(
            obj.family, value=obj.value, valid_from=obj.valid_from,
            valid_until=obj.valid_until, source_document=obj.source_document,
            staff_user=request.user,
        )
        obj.pk = created.pk


@admin.register(HealthDataAccess)
class HealthDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["accessed_at", "user", "annual_file"]
    list_select_related = ["user", "annual_file__child", "annual_file__school_year"]
    search_fields = ["user__email", "annual_file__child__last_name"]
