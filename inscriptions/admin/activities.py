"""The activity catalogue (sites, activities and their units) and the staff's decisions on
enrolments, with the exports of the children enrolled."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Q, Value, When
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from familles.models import Document
from ground.admin_decisions import DecisionAdminMixin

from .. import services
from ..exports import ExportForm, can_export_health_data, export_response
from ..models import Activity, ActivityUnit, Enrolment, Site
from . import on_behalf

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
        fields = ["label", "starts_at", "ends_at", "with_meal", "food_percent", "duration_hours",
                  "position"]

    def clean_duration_hours(self):
        return self.cleaned_data["duration_hours"] or Decimal("0")


class ActivityUnitInline(admin.TabularInline):
    model = ActivityUnit
    form = ActivityUnitForm
    extra = 1
    fields = ["label", "starts_at", "ends_at", "with_meal", "food_percent", "duration_hours",
                  "position"]


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
            path("pour-la-famille/<int:family_id>/", self.admin_site.admin_view(
                lambda request, family_id: on_behalf.enrolment_view(self, request, family_id)),
                name="inscriptions_enrolment_on_behalf"),
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
