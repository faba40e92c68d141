"""Reservations: read-only, cancelled by staff through reservations.services."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ground import french
from ground.admin_mixins import ReadOnlyAdminMixin

from .. import services
from ..models import Reservation
from . import grid


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
    change_list_template = "admin/reservations/reservation/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("grille/", view(lambda request: grid.grid_view(self, request)),
                     name="reservations_reservation_grid"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "grid_url": reverse("admin:reservations_reservation_grid")}
        return super().changelist_view(request, extra_context)

    def has_cancel_permission(self, request):
        return request.user.has_perm("reservations.change_reservation")

    @admin.display(description=_("jour"), ordering="slot__date")
    def day(self, reservation):
        return french.format_day(reservation.slot.date, "D j F Y")

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
