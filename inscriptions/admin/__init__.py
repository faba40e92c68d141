"""Staff tools of the inscriptions app: the review of dossiers administratifs (the queue, the
review page, the decisions), the activity catalogue, enrolment decisions and exports."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Q, Value, When
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from familles.models import Document
from ground.admin_mixins import DecisionAdminMixin, HealthDataAdminMixin, ReadOnlyAdminMixin

from .. import services
from ..exports import ExportForm, can_export_health_data, export_response
from ..forms import ReturnForm
from ..models import (
    Activity,
    ActivityUnit,
    AnnualFile,
    Enrolment,
    FamilyQuotient,
    HealthDataAccess,
    MealSubscription,
    SchoolYear,
    Site,
)

# The health part of the review page, in the order the family filled it in.
HEALTH_SHOWN = ["vaccinations_up_to_date", "allergies", "diet", "has_pai", "doctor_name",
                "doctor_phone", "health_notes", "vaccination_document_link", "pai_document_link"]


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


# The activity catalogue -------------------------------------------------------------------

SCHOOL_WEEKDAYS = [(0, _("lundi")), (1, _("mardi")), (2, _("mercredi")), (3, _("jeudi")),
                   (4, _("vendredi"))]


class ActivityForm(forms.ModelForm):
    """Weekdays and required documents as checkboxes instead of raw JSON."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("jours de la semaine"), choices=SCHOOL_WEEKDAYS, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pour les jours d'école uniquement (restauration, accueil périscolaire)."),
    )
    required_document_kinds = forms.TypedMultipleChoiceField(
        label=_("pièces exigées"), choices=Document.Kind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pièces valides que la famille doit avoir dans « Mes documents »."),
    )

    class Meta:
        model = Activity
        fields = ["school_year", "kind", "name", "description", "sites", "days", "weekdays",
                  "min_age", "max_age", "min_level", "max_level", "required_document_kinds",
                  "validation", "enrolment_open", "needs_reservation", "allows_subscription"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "days" in self.fields:
            self.fields["days"].required = False
            self.fields["days"].help_text = _(
                "Laissé vide : le calendrier habituel du type d'activité.")

    def clean_weekdays(self):
        return sorted(set(self.cleaned_data["weekdays"]))

    def clean(self):
        data = super().clean()
        if not data.get("days") and data.get("kind"):
            data["days"] = Activity.DEFAULT_DAYS[data["kind"]]
            self.instance.days = data["days"]
        return data


class ActivityUnitForm(forms.ModelForm):
    # Optional: a unit not declared to the CAF keeps 0 h.
    duration_hours = forms.DecimalField(label=_("durée (heures)"), required=False,
                                        min_value=0, max_value=24, decimal_places=2,
                                        localize=True)

    class Meta:
        model = ActivityUnit
        fields = ["label", "with_meal", "food_percent", "duration_hours", "position"]

    def clean_duration_hours(self):
        return self.cleaned_data["duration_hours"] or Decimal("0")


class ActivityUnitInline(admin.TabularInline):
    model = ActivityUnit
    form = ActivityUnitForm
    extra = 1
    fields = ["label", "with_meal", "food_percent", "duration_hours", "position"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "address"]
    search_fields = ["name", "address"]


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    form = ActivityForm
    list_display = ["name", "kind", "school_year", "validation", "needs_reservation",
                    "enrolment_open", "site_names", "enrolled"]
    list_filter = ["school_year", "kind", "validation", "needs_reservation", "enrolment_open"]
    search_fields = ["name"]
    filter_horizontal = ["sites"]
    inlines = [ActivityUnitInline]
    list_select_related = ["school_year"]
    fieldsets = [
        (None, {"fields": ["school_year", "kind", "name", "description", "sites"]}),
        (_("Calendrier"), {"fields": ["days", "weekdays"]}),
        (_("Conditions d'inscription"), {"fields": [
            "min_age", "max_age", "min_level", "max_level", "required_document_kinds",
            "validation", "enrolment_open"]}),
        (_("Réservations"), {"fields": ["needs_reservation", "allows_subscription"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sites").annotate(
            validated_count=Count("enrolments", filter=Q(
                enrolments__state=Enrolment.State.VALIDATED)))

    @admin.display(description=_("lieux"))
    def site_names(self, activity):
        return ", ".join(site.name for site in activity.sites.all()) or "–"

    @admin.display(description=_("inscrits"), ordering="validated_count")
    def enrolled(self, activity):
        url = reverse("admin:inscriptions_enrolment_changelist")
        return format_html('<a href="{}?activity__id__exact={}&amp;state__exact=validated">{}</a>',
                           url, activity.pk, activity.validated_count)


# Enrolments ---------------------------------------------------------------------------------

class EnrolmentForm(forms.ModelForm):
    class Meta:
        model = Enrolment
        fields = ["site"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "site" in self.fields and self.instance.activity_id:
            # A request can be moved to another site of its activity, never elsewhere.
            self.fields["site"].queryset = self.instance.activity.sites.all()


@admin.register(Enrolment)
class EnrolmentAdmin(DecisionAdminMixin, SimpleHistoryAdmin):
    form = EnrolmentForm
    list_display = ["child", "activity", "site", "state", "requested_at", "family"]
    list_filter = ["activity__school_year", "activity", "state", "site"]
    search_fields = ["child__first_name", "child__last_name", "child__family__name"]
    list_select_related = ["child__family", "activity__school_year", "site"]
    actions = ["validate_selected", "refuse_selected"]
    # Decisions
    decide_permission = "inscriptions.decide_enrolment"
    decision_state = Enrolment.State.REQUESTED
    accept_name, accept_path = "validate", "valider"
    accept_button = _("Valider l’inscription")
    refuse_button = _("Refuser la demande")
    refuse_comment_label = _("Refuser, avec ce motif envoyé à la famille :")
    refuse_title = _("Refuser l’inscription")
    refuse_intro = _("La famille reçoit ce motif par e-mail.")
    refuse_submit = _("Refuser")
    accept_description = _("Valider les demandes sélectionnées")
    refuse_description = _("Refuser les demandes sélectionnées (avec un motif)")
    accepted_message = _("Inscription validée ; la famille est prévenue par e-mail.")
    refused_message = _("Demande refusée ; la famille reçoit votre motif par e-mail.")
    accepted_bulk_message = _("%(count)d inscription(s) validée(s) ; les familles sont "
                              "prévenues.")
    refused_bulk_message = _("%(count)d demande(s) refusée(s) ; les familles reçoivent le "
                             "motif.")
    bulk_errors_name_the_object = True
    change_list_template = "admin/inscriptions/enrolment/change_list.html"
    fieldsets = [
        (None, {"fields": ["child", "family", "activity", "site", "state"]}),
        (_("Suivi"), {"fields": ["requested_at", "requested_by", "decided_at", "decided_by",
                                 "staff_comment", "withdrawn_at"]}),
    ]

    def accept_object(self, enrolment, user):
        return services.validate_enrolment(enrolment, user)

    def refuse_object(self, enrolment, user, comment):
        return services.refuse_enrolment(enrolment, user, comment)

    def get_ordering(self, request):
        # The queue: requests waiting for a decision first, then the most recent.
        pending_first = Case(When(state=Enrolment.State.REQUESTED, then=Value(0)),
                             default=Value(1))
        return [pending_first.asc(), "-requested_at"]

    def has_add_permission(self, request):
        return False  # families ask; staff decide

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Only a request still waiting can be corrected (its site); decisions go through
        # the actions, which e-mail the family.
        if obj is not None and obj.state != Enrolment.State.REQUESTED:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = [f for _name, opts in self.fieldsets for f in opts["fields"]]
        return [f for f in fields if f != "site"]

    @admin.display(description=_("famille"), ordering="child__family__name")
    def family(self, enrolment):
        return enrolment.child.family

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="inscriptions_enrolment_export"),
            *super().get_urls(),
        ]

    # Export -----------------------------------------------------------------------------
    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ExportForm(request.POST or None, initial={"activity": request.GET.get("activity")})
        if request.method == "POST" and form.is_valid():
            return export_response(form.cleaned_data["activity"], form.cleaned_data["site"],
                                   form.cleaned_data["file_format"], request.user)
        return TemplateResponse(request, "admin/inscriptions/enrolment/export.html", {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": _("Exporter la liste des enfants inscrits"),
            "with_health": can_export_health_data(request.user),
        })


@admin.register(MealSubscription)
class MealSubscriptionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Families set their subscription; staff read it (the bookings follow from it)."""

    list_display = ["child", "activity", "days", "active", "applies_from", "updated_at"]
    list_filter = ["active", "enrolment__activity__school_year", "enrolment__activity"]
    search_fields = ["enrolment__child__first_name", "enrolment__child__last_name",
                     "enrolment__child__family__name"]
    list_select_related = ["enrolment__child", "enrolment__activity__school_year"]

    @admin.display(description=_("enfant"), ordering="enrolment__child__last_name")
    def child(self, subscription):
        return subscription.enrolment.child

    @admin.display(description=_("activité"))
    def activity(self, subscription):
        return subscription.enrolment.activity

    @admin.display(description=_("jours"))
    def days(self, subscription):
        return ", ".join(subscription.weekday_names())
