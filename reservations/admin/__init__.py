from . import registers  # noqa: F401  (registers, attendance and their PDF)

# Staff tools of the reservations app: deadline rules, booking periods, capacities, slots,
# reservations, closure days and absence justifications. Every change of places or states
# goes through reservations.services (a capacity change serves the waiting list, a closure
# cancels and e-mails): the admin never saves them raw.
# isort: split

import datetime
from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_mixins import (
    DecisionAdminMixin,
    HealthDataAdminMixin,
    ReadOnlyAdminMixin,
    RefuseForm,
)
from inscriptions.models import ClosureDay

from .. import occupancy, services
from ..deadlines import format_moment
from ..forms import ActivityPartsMixin, CapacityForm, CloseSlotForm, GenerateSlotsForm
from ..models import (
    AbsenceJustification,
    AgeGroup,
    BookingPeriod,
    CapacityRule,
    DeadlineRule,
    Reservation,
    Slot,
)
from ..services import absences


def _words(text, css):
    return format_html('<span class="state {}">{}</span>', css, text)


# Deadline rules and booking periods -----------------------------------------------------------

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
        fields = ["activity", "label", "first_day", "last_day", "opens_at", "closes_at"]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("Le dernier jour doit suivre le premier."))
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("La fermeture doit suivre l'ouverture."))
        activity = data.get("activity")
        if activity and first and last:
            year = activity.school_year
            if first < year.start_date or last > year.end_date:
                self.add_error("first_day", _("Les jours doivent être dans l'année scolaire "
                                              "%(year)s.") % {"year": year})
        return data


@admin.register(BookingPeriod)
class BookingPeriodAdmin(SimpleHistoryAdmin):
    form = BookingPeriodForm
    list_display = ["label", "activity", "first_day", "last_day", "opens_at", "closes_at",
                    "status"]
    list_filter = ["activity__school_year", "activity"]
    list_select_related = ["activity__school_year"]
    search_fields = ["label", "activity__name"]
    readonly_fields = ["subscriptions_applied_at"]

    @admin.display(description=_("état"))
    def status(self, period):
        now = timezone.now()
        if now < period.opens_at:
            return _words(_t("pas encore ouverte (ouvre le %(moment)s)") % {
                "moment": format_moment(period.opens_at)}, "state-wait")
        if period.closes_at and now >= period.closes_at:
            return _words(_t("close depuis le %(moment)s") % {
                "moment": format_moment(period.closes_at)}, "state-neutral")
        return _words(_t("ouverte"), "state-ok")


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


# Slots ----------------------------------------------------------------------------------------

class SlotAddForm(ActivityPartsMixin, forms.ModelForm):
    class Meta:
        model = Slot
        fields = ["activity", "unit", "site", "age_group", "date", "capacity"]

    def clean(self):
        data = super().clean()
        activity, day = data.get("activity"), data.get("date")
        if activity and day:
            year = activity.school_year
            if not (year.start_date <= day <= year.end_date):
                self.add_error("date", _("La date doit être dans l'année scolaire."))
        return data


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = SlotAddForm
    list_display = ["date", "activity", "unit", "site", "age_group", "capacity", "booked",
                    "free", "state"]
    list_filter = ["activity__school_year", "activity", "site", "closed", "age_group"]
    list_select_related = ["activity", "unit", "site", "age_group"]
    search_fields = ["activity__name", "site__name"]
    date_hierarchy = "date"
    actions = ["change_capacity", "close_selected", "reopen_selected"]
    change_list_template = "admin/reservations/slot/change_list.html"
    change_form_template = "admin/reservations/slot/change_form.html"

    @admin.display(description=_("places libres"))
    def free(self, slot):
        return slot.free_places

    @admin.display(description=_("état"), ordering="closed")
    def state(self, slot):
        if slot.closed:
            return _words(_t("fermé : %(reason)s") % {"reason": slot.closed_reason},
                          "state-ko")
        if slot.free_places == 0:
            return _words(_t("complet"), "state-wait")
        return _words(_t("ouvert"), "state-ok")

    def has_change_permission(self, request, obj=None):
        # An existing slot is read-only: its places and closure change through the actions
        # and buttons below, which call the services. Without an object, the permission
        # governs those actions.
        return obj is None and super().has_change_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_manage": self.has_change_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Places and closure change only through the actions, which call the services.
        return ["activity", "unit", "site", "age_group", "date", "capacity", "booked",
                "closed", "closed_reason"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["activity", "unit", "site", "age_group", "date", "capacity"]
        return self.get_readonly_fields(request, obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("generer/", view(self.generate_view), name="reservations_slot_generate"),
            path("occupation/", view(self.occupancy_view), name="reservations_slot_occupancy"),
            path("<int:pk>/capacite/", view(self.capacity_view),
                 name="reservations_slot_capacity"),
            path("<int:pk>/fermer/", view(self.close_view), name="reservations_slot_close"),
            path("<int:pk>/rouvrir/", view(self.reopen_view), name="reservations_slot_reopen"),
            *super().get_urls(),
        ]

    def occupancy_view(self, request):
        """The week's occupancy per site and activity, with SVG bars; ?format=csv exports it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            day = datetime.date.fromisoformat(request.GET.get("semaine", ""))
        except ValueError:
            day = timezone.localdate()
        data = occupancy.dashboard(occupancy.monday_of(day))
        if request.GET.get("format") == "csv":
            response = HttpResponse(occupancy.dashboard_csv(data),
                                    content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="occupation-{data["monday"]:%Y-%m-%d}.csv"')
            return response
        week = datetime.timedelta(days=7)
        return TemplateResponse(request, "admin/reservations/slot/occupancy.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _t("Occupation de la semaine"), **data,
            "previous": data["monday"] - week, "next": data["monday"] + week,
        })

    def _page(self, request, template, title, form, slots=(), action=None, status=200):
        return TemplateResponse(request, f"admin/reservations/slot/{template}.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": title,
            "form": form, "slots": list(slots), "action": action,
        }, status=status)

    def _changelist(self):
        return redirect("admin:reservations_slot_changelist")

    # Generation
    def generate_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GenerateSlotsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            activity = form.cleaned_data["activity"]
            try:
                count = services.generate_slots(activity, form.cleaned_data["first"],
                                                form.cleaned_data["last"])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if count:
                    self.message_user(request, ngettext(
                        "%(count)d créneau créé pour « %(activity)s ».",
                        "%(count)d créneaux créés pour « %(activity)s ».", count) % {
                        "count": count, "activity": activity.name}, messages.SUCCESS)
                else:
                    self.message_user(request, _t(
                        "Aucun créneau à créer pour « %(activity)s » : ils existent déjà.") % {
                        "activity": activity.name}, messages.INFO)
                return self._changelist()
        return self._page(request, "generate", _t("Générer les créneaux"), form,
                          status=400 if form.errors else 200)

    def _each_slot(self, request, slots, change) -> list[Slot]:
        """Call a service on each slot; a refusal is shown beside its slot, the others go on.
        Returns the slots changed."""
        done = []
        for slot in slots:
            try:
                change(slot)
            except ValidationError as exc:
                self.message_user(request, f"{slot} : {exc.messages[0]}", messages.WARNING)
            else:
                done.append(slot)
        return done

    # Capacity
    def _set_capacity(self, request, slots, data):
        done = len(self._each_slot(request, slots, lambda slot: services.set_capacity(
            slot.pk, data["capacity"], request.user)))
        if done:
            self.message_user(request, ngettext(
                "Capacité modifiée pour %(count)d créneau ; la liste d'attente a été servie.",
                "Capacité modifiée pour %(count)d créneaux ; la liste d'attente a été servie.",
                done) % {"count": done}, messages.SUCCESS)

    # A form for one slot (from its page) or for the selection of an action
    def _slot_form_view(self, request, pk, form_class, apply, page, initial=None):
        if not self.has_change_permission(request):
            raise PermissionDenied
        slot = get_object_or_404(Slot, pk=pk)
        form = form_class(request.POST or None, initial=initial(slot) if initial else None)
        if request.method == "POST" and form.is_valid():
            apply(request, [slot], form.cleaned_data)
            return redirect("admin:reservations_slot_change", slot.pk)
        return self._page(request, *page, form, [slot])

    def _slot_form_action(self, request, queryset, form_class, apply, page, action):
        # The action's first POST shows the form; the form's own POST carries its field.
        field = next(iter(form_class.base_fields))
        form = form_class(request.POST if field in request.POST else None)
        if form.is_bound and form.is_valid():
            apply(request, queryset.order_by("pk"), form.cleaned_data)
            return None
        return self._page(request, *page, form, queryset, action=action)

    def capacity_view(self, request, pk):
        return self._slot_form_view(
            request, pk, CapacityForm, self._set_capacity,
            ("capacity", _t("Modifier la capacité")), lambda slot: {"capacity": slot.capacity})

    @admin.action(description=_("Modifier la capacité des créneaux sélectionnés"),
                  permissions=["change"])
    def change_capacity(self, request, queryset):
        return self._slot_form_action(request, queryset, CapacityForm, self._set_capacity,
                                      ("capacity", _t("Modifier la capacité")), "change_capacity")

    # Closing and reopening
    def _close(self, request, slots, data):
        slots = list(slots)
        # Counted in one query before closing, for the message (close_slot returns the slot).
        active = Counter(Reservation.objects.filter(slot__in=slots).exclude(
            state=Reservation.State.CANCELLED).values_list("slot_id", flat=True))
        done = self._each_slot(request, slots, lambda slot: services.close_slot(
            slot.pk, data["reason"], request.user))
        if done:
            self.message_user(request, _t(
                "%(slots)d créneau(x) fermé(s) ; %(count)d réservation(s) annulée(s), les "
                "familles sont prévenues par e-mail.") % {
                "slots": len(done), "count": sum(active[slot.pk] for slot in done)},
                messages.SUCCESS)

    def close_view(self, request, pk):
        return self._slot_form_view(request, pk, CloseSlotForm, self._close,
                                    ("close", _t("Fermer le créneau")))

    @admin.action(description=_("Fermer les créneaux sélectionnés (annule les réservations)"),
                  permissions=["change"])
    def close_selected(self, request, queryset):
        return self._slot_form_action(request, queryset, CloseSlotForm, self._close,
                                      ("close", _t("Fermer les créneaux")), "close_selected")

    def _reopen(self, request, slots):
        count = 0
        for slot in slots:
            services.reopen_slot(slot.pk, request.user)
            count += 1
        self.message_user(request, _t(
            "%(count)d créneau(x) rouvert(s). Les réservations annulées ne sont pas rétablies : "
            "les familles peuvent réserver à nouveau.") % {"count": count}, messages.SUCCESS)

    def reopen_view(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        slot = get_object_or_404(Slot, pk=pk)
        if request.method == "POST":
            self._reopen(request, [slot])
        return redirect("admin:reservations_slot_change", slot.pk)

    @admin.action(description=_("Rouvrir les créneaux sélectionnés"), permissions=["change"])
    def reopen_selected(self, request, queryset):
        self._reopen(request, queryset.filter(closed=True).order_by("pk"))


# Reservations ---------------------------------------------------------------------------------

@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-mostly: parents book; staff cancel through the service (which serves the waiting
    list), never by editing the state."""

    list_display = ["child", "day", "activity", "unit", "site", "state", "source",
                    "waiting_since", "waiting_ticket", "cancelled_late"]
    list_filter = ["state", "source", "cancelled_late", "slot__activity__school_year",
                   "slot__activity", "slot__site"]
    list_select_related = ["child", "slot__activity", "slot__unit", "slot__site"]
    search_fields = ["child__first_name", "child__last_name", "family__name"]
    date_hierarchy = "slot__date"
    actions = ["cancel_in_time", "cancel_late"]

    def has_cancel_permission(self, request):
        return request.user.has_perm("reservations.change_reservation")

    @admin.display(description=_("jour"), ordering="slot__date")
    def day(self, reservation):
        return date_format(reservation.slot.date, "D j M Y")

    @admin.display(description=_("activité"), ordering="slot__activity__name")
    def activity(self, reservation):
        return reservation.slot.activity.name

    @admin.display(description=_("unité"))
    def unit(self, reservation):
        return reservation.slot.unit

    @admin.display(description=_("lieu"))
    def site(self, reservation):
        return reservation.slot.site

    @admin.action(description=_("Annuler (non facturé)"), permissions=["cancel"])
    def cancel_in_time(self, request, queryset):
        self._cancel(request, queryset, late=False)

    @admin.action(description=_("Annuler hors délai (facturé)"), permissions=["cancel"])
    def cancel_late(self, request, queryset):
        self._cancel(request, queryset, late=True)

    def _cancel(self, request, queryset, *, late):
        done = 0
        for reservation_id in queryset.exclude(state=Reservation.State.CANCELLED).order_by(
                "slot_id", "pk").values_list("pk", flat=True):
            try:
                done += services.cancel_by_staff(reservation_id, request.user, late=late)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
        self.message_user(request, ngettext(
            "%(count)d réservation annulée ; la famille est prévenue et la liste d'attente "
            "servie.",
            "%(count)d réservations annulées ; les familles sont prévenues et les listes "
            "d'attente servies.", done) % {"count": done}, messages.SUCCESS)


# Closure days (the model is inscriptions', the slots it closes are ours) --------------------

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


# Absence justifications -----------------------------------------------------------------------

def _document_link(document):
    if document is None:
        return "–"
    url = reverse("familles:document_download", args=[document.pk])
    return format_html('<a href="{}?voir=1" target="_blank" rel="noopener">{}</a>', url,
                       document)


JUSTIFICATION_CSS = {
    AbsenceJustification.State.SUBMITTED: "state-wait",
    AbsenceJustification.State.ACCEPTED: "state-ok",
    AbsenceJustification.State.REFUSED: "state-ko",
}


@admin.register(AbsenceJustification)
class AbsenceJustificationAdmin(HealthDataAdminMixin, DecisionAdminMixin, ReadOnlyAdminMixin,
                                SimpleHistoryAdmin):
    """The reason (an illness), the family's words and document are health data (the
    model's HEALTH_FIELDS): only staff allowed to see health data read, filter or sort by
    them, each reading journaled, by the mixin. The others still see the day and decide."""

    health_fields = ("document_link",)
    list_display = ["child", "day", "activity", "reason", "document_link", "state_words",
                    "submitted_at"]
    list_filter = ["state", "reason", "reservation__slot__activity__school_year",
                   "reservation__slot__activity"]
    list_select_related = ["reservation__child", "reservation__slot__activity", "document"]
    search_fields = ["reservation__child__first_name", "reservation__child__last_name",
                     "reservation__family__name"]
    date_hierarchy = "reservation__slot__date"
    actions = ["accept_selected", "refuse_selected"]
    fields = ["child", "day", "activity", "reason", "details", "document_link", "state_words",
              "submitted_at", "submitted_by", "decided_at", "decided_by", "staff_comment"]
    readonly_fields = [*fields, "health_withheld"]
    # Decisions (the services take the justification's id)
    decide_permission = "reservations.decide_absencejustification"
    decision_state = AbsenceJustification.State.SUBMITTED
    refuse_form_class = RefuseForm
    accept_button = _("Accepter (journée non facturée)")
    refuse_button = _("Refuser")
    refuse_comment_label = _("Refuser (journée facturée) avec ce motif, envoyé à la famille :")
    refuse_title = _("Refuser la justification")
    refuse_intro = _("Une absence dont la justification est refusée est facturée. Votre "
                     "commentaire est envoyé à la famille.")
    refuse_submit = _("Refuser et prévenir la famille")
    accept_description = _("Accepter les justifications sélectionnées (non facturé)")
    refuse_description = _("Refuser les justifications sélectionnées (facturé)…")
    accepted_message = _("%(count)d justification acceptée ; la famille est prévenue par "
                         "e-mail.")
    refused_message = _("%(count)d justification refusée ; la famille est prévenue par "
                        "e-mail.")
    accepted_bulk_message = _("%(count)d justification(s) acceptée(s) ; les familles sont "
                              "prévenues par e-mail.")
    refused_bulk_message = _("%(count)d justification(s) refusée(s) ; les familles sont "
                             "prévenues par e-mail.")

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if "reason" not in fields:  # withheld by the guard: say so where it would be
            fields.insert(fields.index("activity") + 1, "health_withheld")
        return fields

    @admin.display(description=_("motif, précisions et justificatif"))
    def health_withheld(self, justification):
        return _("Réservées aux agents habilités à consulter les données de santé.")

    def accept_object(self, justification, user):
        return absences.accept_justification(justification.pk, user)

    def refuse_object(self, justification, user, comment):
        return absences.refuse_justification(justification.pk, user, comment)

    def get_ordering(self, request):
        # Waiting for a decision first, then the most recent days. (An order_by in
        # get_queryset would come after the model's "-submitted_at" in the change list.)
        waiting_first = Case(When(state=AbsenceJustification.State.SUBMITTED, then=0), default=1)
        return [waiting_first, "-reservation__slot__date"]

    @admin.display(description=_("enfant"), ordering="reservation__child__last_name")
    def child(self, justification):
        return justification.reservation.child

    @admin.display(description=_("jour"), ordering="reservation__slot__date")
    def day(self, justification):
        return date_format(justification.reservation.slot.date, "D j M Y")

    @admin.display(description=_("activité"))
    def activity(self, justification):
        return justification.reservation.slot.activity.name

    @admin.display(description=_("justificatif"))
    def document_link(self, justification):
        return _document_link(justification.document)

    @admin.display(description=_("état"), ordering="state")
    def state_words(self, justification):
        return _words(justification.get_state_display(), JUSTIFICATION_CSS[justification.state])
