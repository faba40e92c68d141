"""Slots: generated from the capacities, closed, their places changed; every change of places
goes through reservations.services (a capacity change serves the waiting list, a closure
cancels and e-mails)."""
import datetime
from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ground.admin_mixins import state_label
from ground.forms import form_error

from .. import occupancy, services
from ..forms import ActivityPartsMixin, CapacityForm, CloseSlotForm, GenerateSlotsForm
from ..models import Reservation, Slot


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
            return state_label(_t("fermé : %(reason)s") % {"reason": slot.closed_reason},
                          "state-ko")
        if slot.free_places == 0:
            return state_label(_t("complet"), "state-wait")
        return state_label(_t("ouvert"), "state-ok")

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
                form_error(form, exc)
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
