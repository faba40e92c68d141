"""The bookings' calendar as staff set it: deadline rules, booking periods, age groups,
capacities and closure days (the model is inscriptions', the slots it closes are ours)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_mixins import state_label
from inscriptions.models import ClosureDay

from .. import services
from ..deadlines import format_moment
from ..forms import ActivityPartsMixin
from ..models import AgeGroup, BookingPeriod, CapacityRule, DeadlineRule
from . import on_behalf


class DeadlineRuleForm(forms.ModelForm):
    class Meta:
        model = DeadlineRule
        fields = ["activity", "kind", "days", "weekday", "time"]

    def clean(self):
        data = super().clean()
        if data.get("kind") == DeadlineRule.Kind.PREVIOUS_WEEKDAY and data.get("weekday") is None:
            self.add_error("weekday", _("Choisissez le jour de la semaine."))
        return data


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(SimpleHistoryAdmin):
    form = DeadlineRuleForm
    list_display = ["activity", "description", "school_year"]
    list_filter = ["activity__school_year", "kind"]
    list_select_related = ["activity__school_year"]
    search_fields = ["activity__name"]

    @admin.display(description=_("délai, tel que les familles le lisent"))
    def description(self, rule):
        return rule.describe()

    @admin.display(description=_("année scolaire"), ordering="activity__school_year")
    def school_year(self, rule):
        return rule.activity.school_year


class BookingPeriodForm(forms.ModelForm):
    class Meta:
        model = BookingPeriod
        fields = ["activity", "label", "first_day", "last_day", "opens_at", "closes_at",
                  "mode", "wishes_open_at", "wishes_close_at", "decline_days"]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("Le dernier jour doit suivre le premier."))
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("La fermeture doit suivre l'ouverture."))
        if data.get("mode") == BookingPeriod.Mode.ALLOCATION:
            self._clean_wish_window(data)
        activity = data.get("activity")
        if activity and first and last:
            year = activity.school_year
            if first < year.start_date or last > year.end_date:
                self.add_error("first_day", _("Les jours doivent être dans l'année scolaire "
                                              "%(year)s.") % {"year": year})
        return data

    def _clean_wish_window(self, data):
        wishes_open, wishes_close = data.get("wishes_open_at"), data.get("wishes_close_at")
        for name, value in (("wishes_open_at", wishes_open), ("wishes_close_at", wishes_close)):
            if value is None and name not in self.errors:
                self.add_error(name, _("Une période attribuée par vœux a une fenêtre de vœux."))
        if wishes_open and wishes_close and wishes_close <= wishes_open:
            self.add_error("wishes_close_at", _("La clôture des vœux doit suivre leur "
                                                "ouverture."))
        opens = data.get("opens_at")
        if wishes_close and opens and opens < wishes_close:
            self.add_error("opens_at", _("Les places restantes ouvrent après la clôture des "
                                         "vœux (et la publication de l'attribution)."))
        if self.instance.pk and self.instance.draw_secret and wishes_open != (
                self.instance.wishes_open_at) and timezone.now() >= self.instance.wishes_open_at:
            self.add_error("wishes_open_at", _("Les vœux sont déjà ouverts : leur ouverture "
                                               "ne change plus."))


@admin.register(BookingPeriod)
class BookingPeriodAdmin(SimpleHistoryAdmin):
    form = BookingPeriodForm
    list_display = ["label", "activity", "first_day", "last_day", "mode", "opens_at",
                    "closes_at", "status"]
    list_filter = ["activity__school_year", "activity"]
    list_select_related = ["activity__school_year"]
    search_fields = ["label", "activity__name"]
    readonly_fields = ["subscriptions_applied_at", "draw_commitment", "allocation_page"]

    def lookup_allowed(self, lookup, value, request=None):
        # Django allows any lookup on the model's own fields in the URL: filtering by
        # « draw_secret__startswith » would read the draw's secret before publication.
        if lookup.split("__")[0] == "draw_secret":
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("attribution"))
    def allocation_page(self, period):
        if not period.pk or not period.allocates:
            return "–"
        return format_html('<a href="{}">{}</a>', reverse(
            "admin:reservations_allocation_period", args=[period.pk]),
            _t("Vœux, tirage et publication"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.allocates:
            try:
                services.commit_draw(obj.pk)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)

    def get_urls(self):
        return [
            path("pour-la-famille/<int:family_id>/", self.admin_site.admin_view(
                lambda request, family_id: on_behalf.book_view(self, request, family_id)),
                name="reservations_bookingperiod_on_behalf"),
            *super().get_urls(),
        ]

    @admin.display(description=_("état"))
    def status(self, period):
        now = timezone.now()
        if period.allocates and period.allocation_published_at is None:
            if now < period.wishes_close_at:
                return state_label(_t("vœux jusqu'au %(moment)s") % {
                    "moment": format_moment(period.wishes_close_at)}, "state-wait")
            return state_label(_t("vœux clos, attribution à publier"), "state-wait")
        if now < period.opens_at:
            return state_label(_t("pas encore ouverte (ouvre le %(moment)s)") % {
                "moment": format_moment(period.opens_at)}, "state-wait")
        if period.closes_at and now >= period.closes_at:
            return state_label(_t("close depuis le %(moment)s") % {
                "moment": format_moment(period.closes_at)}, "state-neutral")
        return state_label(_t("ouverte"), "state-ok")


@admin.register(AgeGroup)
class AgeGroupAdmin(admin.ModelAdmin):
    list_display = ["label", "activity", "min_age", "max_age"]
    list_filter = ["activity__school_year", "activity"]
    list_select_related = ["activity__school_year"]


class CapacityRuleForm(ActivityPartsMixin, forms.ModelForm):
    class Meta:
        model = CapacityRule
        fields = ["activity", "site", "age_group", "capacity"]


@admin.register(CapacityRule)
class CapacityRuleAdmin(admin.ModelAdmin):
    form = CapacityRuleForm
    list_display = ["activity", "site", "age_group", "capacity"]
    list_filter = ["activity__school_year", "activity", "site"]
    list_select_related = ["activity__school_year", "site", "age_group"]
    description = _("Les places avec lesquelles les créneaux sont générés ; pour changer les "
                    "places d'un créneau existant, utilisez « Modifier la capacité » sur les "
                    "créneaux.")


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ["date", "label", "activity", "school_year"]
    list_filter = ["school_year", "activity"]
    list_select_related = ["activity", "school_year"]
    date_hierarchy = "date"
    search_fields = ["label"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        closed = services.apply_closure(obj, request.user)
        if closed:
            self.message_user(request, ngettext(
                "%(count)d créneau fermé ce jour-là ; les familles qui avaient réservé sont "
                "prévenues par e-mail.",
                "%(count)d créneaux fermés ce jour-là ; les familles qui avaient réservé sont "
                "prévenues par e-mail.", closed) % {"count": closed}, messages.WARNING)
        else:
            self.message_user(request, _t("Aucun créneau ouvert ce jour-là : rien à fermer."),
                              messages.INFO)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.message_user(request, _t("Les créneaux fermés ce jour-là le restent : rouvrez-les "
                                      "depuis « Créneaux » si besoin."), messages.INFO)
