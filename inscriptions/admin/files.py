"""The review of dossiers administratifs (the queue, the review page, the decisions), school
years, quotients familiaux and the journal of who opened health data."""

import datetime

from django import forms
from django.contrib import admin
from django.db import models
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from familles.admin import link_to_document
from ground import french
from ground.admin_decisions import DecisionAdminMixin
from ground.admin_health import HealthDataAdminMixin
from ground.admin_mixins import ReadOnlyAdminMixin

from .. import queries, services
from ..forms import ReturnForm
from ..models import AnnualFile, FamilyQuotient, HealthDataAccess, SchoolYear
from . import on_behalf

# The health part of the review page, in the order the family filled it in.
HEALTH_SHOWN = ["vaccinations_up_to_date", "allergies", "diet", "has_pai", "doctor_name",
                "doctor_phone", "health_notes", "vaccination_document_link", "pai_document_link"]


@admin.register(SchoolYear)
class SchoolYearAdmin(SimpleHistoryAdmin):
    list_display = ["label", "start_date", "end_date", "reregistration_opens_at",
                    "reregistration_deadline", "rules_version"]
    readonly_fields = ["opening_notice_sent_at", "deadline_reminder_sent_at"]
    # A link typed without its scheme is the commune's site: https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ReadableHistoryHelper(HistoricalRecordContextHelper):
    """The history's changes in the staff's words: choice labels, local dates, "–" for none."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or (isinstance(value, DeletedObject) and value.pk is None):
            return "–"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, datetime.datetime):
            return french.format_day(timezone.localtime(value), "j F Y à H:i:s")
        return super().prepare_delta_change_value(change, value)


@admin.register(AnnualFile)
class AnnualFileAdmin(HealthDataAdminMixin, DecisionAdminMixin, ReadOnlyAdminMixin,
                      SimpleHistoryAdmin):
    """Files are started by families; staff read them and decide through the dedicated
    actions (the family's answers are read-only). The health part (the model's
    HEALTH_FIELDS and the links below) only for staff allowed to see health data, each
    reading journaled, by the mixin."""

    health_fields = ("vaccination_document_link", "pai_document_link")

    list_display = ["child", "family", "school_year", "state", "school", "submitted_at",
                    "decided_at"]
    list_filter = ["school_year", "state", "school"]
    search_fields = ["child__first_name", "child__last_name", "child__family__name",
                     "allowance_number"]
    list_select_related = ["child__family", "school_year"]
    date_hierarchy = "submitted_at"
    actions = ["validate_selected", "return_selected"]
    # Decisions
    decide_permission = "inscriptions.decide_annualfile"
    decision_state = AnnualFile.State.SUBMITTED
    refuse_form_class = ReturnForm
    accept_name, accept_path = "validate", "valider"
    refuse_name, refuse_path = "return", "renvoyer"
    accept_button = _("Valider le dossier")
    refuse_button = refuse_title = refuse_submit = _("Renvoyer à la famille")
    refuse_comment_label = _("Renvoyer à la famille avec ce commentaire :")
    accept_description = _("Valider les dossiers sélectionnés")
    refuse_description = _("Renvoyer les dossiers sélectionnés avec un commentaire")
    accepted_message = _("Dossier validé ; la famille est prévenue par e-mail.")
    refused_message = _("Dossier renvoyé à la famille avec votre commentaire.")
    accepted_bulk_message = _("%(count)d dossier(s) validé(s).")
    confirm_bulk_accept = True
    bulk_accept_title = _("Valider les dossiers sélectionnés ?")
    bulk_accept_intro = _("Chaque famille dont le dossier est validé en est prévenue par "
                          "e-mail ; elle peut alors inscrire et réserver.")
    bulk_accept_submit = _("Oui, valider les dossiers en attente")
    refused_bulk_message = _("%(count)d dossier(s) renvoyé(s) à la famille.")
    # The review page (the health part is dropped by the guard for staff without it)
    fieldsets = [
        (_("Enfant et scolarité"), {"fields": ["child", "family", "school_year", "state",
                                               "school", "school_class"]}),
        (_("Santé (données sensibles)"), {"fields": HEALTH_SHOWN}),
        (_("Autorisations"), {"fields": ["photo_consent", "outings_consent",
                                         "leave_alone_consent", "emergency_care_consent",
                                         "contacts"]}),
        (_("Garde"), {"fields": ["shared_custody", "custody_document_link", "payer_family"]}),
        (_("Revenus"), {"fields": ["allowance_body", "allowance_number",
                                   "income_document_link", "quotient"]}),
        (_("Règlement et suivi"), {"fields": ["rules_version_accepted", "rules_accepted_at",
                                              "submitted_at", "submitted_by", "decided_at",
                                              "decided_by", "staff_comment"]}),
    ]

    def accept_object(self, annual_file, user):
        return services.validate(annual_file, user)

    def never_opened(self, annual_files):
        return [f for f in annual_files if f.opened_at is None]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None and request.method == "GET":
            services.record_opening(obj)  # the review page read: no longer « jamais ouvert »
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path("pour-la-famille/<int:child_id>/<int:year_id>/", self.admin_site.admin_view(
                lambda request, child_id, year_id: on_behalf.file_view(
                    self, request, child_id, year_id)),
                name="inscriptions_annualfile_on_behalf"),
            *super().get_urls(),
        ]

    def refuse_object(self, annual_file, user, comment):
        return services.return_to_family(annual_file, user, comment)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        # The queue: files waiting for a decision come first, oldest first.
        return qs.order_by(
            "-school_year__start_date", "state", "submitted_at")

    @admin.display(description=_("famille"), ordering="child__family__name")
    def family(self, annual_file):
        return annual_file.child.family

    def get_readonly_fields(self, request, obj=None):
        # Everything shown is read-only: the fieldsets as the guard left them.
        return [f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistoryHelper(self.model, historical_record)

    @admin.display(description=_("personnes autorisées"))
    def contacts(self, annual_file):
        return format_html_join(
            ", ", "{} ({}, {})",
            ((c, c.relation, c.phone) for c in annual_file.authorised_contacts.all()),
        ) or "–"

    @admin.display(description=_("carnet de vaccination"))
    def vaccination_document_link(self, annual_file):
        return link_to_document(annual_file.vaccination_document)

    @admin.display(description=_("document du PAI"))
    def pai_document_link(self, annual_file):
        return link_to_document(annual_file.pai_document)

    @admin.display(description=_("calendrier de garde"))
    def custody_document_link(self, annual_file):
        return link_to_document(annual_file.custody_document)

    @admin.display(description=_("justificatif de revenus"))
    def income_document_link(self, annual_file):
        return link_to_document(annual_file.income_document)

    @admin.display(description=_("quotient familial"))
    def quotient(self, annual_file):
        family = annual_file.billing_family()
        current = queries.family_quotient_on(family, annual_file.school_year.start_date)
        url = reverse("admin:inscriptions_familyquotient_add") + f"?family={family.pk}"
        if annual_file.income_document_id:
            url += f"&source_document={annual_file.income_document_id}"
        label = _("Fixer le quotient familial")
        if current is None:
            return format_html('{} – <a href="{}">{}</a>', _("non fixé"), url, label)
        return format_html('{} € – <a href="{}">{}</a>', current.value, url, label)


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
    list_display = ["accessed_at", "user", "action", "annual_file", "content_type", "object_id",
                    "health_fields", "path"]
    list_filter = ["action", "content_type"]
    list_select_related = ["user", "annual_file__child", "annual_file__school_year",
                           "content_type"]
    search_fields = ["user__email", "annual_file__child__last_name"]
