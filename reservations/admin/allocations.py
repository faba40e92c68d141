"""Allocation for staff (docs/allocation.md): the commune's rules and staff-set priorities,
a period's allocation page (window, commitment, wishes, runs), running a draft
(`run_allocation`), reading it per slot, publishing it after a confirmation with its counts
(`publish_allocation`), its statistics and their CSV export. Every change goes through
reservations.services."""

import csv
import io
import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_mixins import ReadOnlyAdminMixin, state_label
from ground.spreadsheets import safe_cell

from .. import allocation_queries
from ..deadlines import format_day
from ..models import Allocation, AllocationPriority, AllocationRule, BookingPeriod, Wish
from ..services import allocation_jobs

RUN = "reservations.run_allocation"
PUBLISH = "reservations.publish_allocation"


@admin.register(AllocationRule)
class AllocationRuleAdmin(SimpleHistoryAdmin):
    list_display = ["position", "kind", "enabled", "explanation"]
    list_display_links = ["kind"]
    list_editable = ["position", "enabled", "explanation"]
    ordering = ["position", "kind"]
    fields = ["kind", "position", "enabled", "explanation"]
    readonly_fields = ["kind"]
    description = _("Les règles s'appliquent dans l'ordre : la première compte plus que toutes "
                    "les suivantes réunies. « Frères et sœurs ensemble » n'est pas une "
                    "priorité mais une contrainte : sa place dans l'ordre ne compte pas.")

    def has_add_permission(self, request):
        return False  # one row per kind, created by the migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AllocationPriority)
class AllocationPriorityAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "note", "valid_until", "set_by", "set_at"]
    raw_id_fields = ["child", "family"]
    fields = ["child", "family", "note", "valid_until"]
    search_fields = ["child__first_name", "child__last_name", "family__name"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Wish)
class WishAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Wishes are the families' (the parents' pages, the front desk through the service)."""

    list_display = ["child", "slot", "rank", "family", "updated_at"]
    list_filter = ["period"]
    list_select_related = ["child", "family", "slot__activity", "slot__unit", "slot__site"]
    search_fields = ["child__first_name", "child__last_name", "family__name"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "period", "status", "created_by", "published_at"]
    list_filter = ["state", "period__activity__school_year"]
    list_select_related = ["period__activity", "created_by"]

    @admin.display(description=_("état"), ordering="state")
    def status(self, allocation):
        css = {Allocation.State.PUBLISHED: "state-ok", Allocation.State.DRAFT: "state-wait"}
        return state_label(allocation.get_state_display(), css.get(allocation.state,
                                                                   "state-neutral"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("periode/<int:period_id>/", view(self.period_view),
                 name="reservations_allocation_period"),
            path("periode/<int:period_id>/lancer/", view(self.run_view),
                 name="reservations_allocation_run"),
            path("<int:pk>/brouillon/", view(self.draft_view),
                 name="reservations_allocation_draft"),
            path("<int:pk>/publier/", view(self.publish_view),
                 name="reservations_allocation_publish"),
            path("<int:pk>/statistiques/", view(self.statistics_view),
                 name="reservations_allocation_statistics"),
            path("<int:pk>/donnees.json", view(self.inputs_view),
                 name="reservations_allocation_inputs"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:reservations_allocation_draft", object_id)

    def _page(self, request, template, title, context, status=200):
        return TemplateResponse(request, f"admin/reservations/allocation/{template}.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": title, "can_run": request.user.has_perm(RUN),
            "can_publish": request.user.has_perm(PUBLISH), **context}, status=status)

    def _readable(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def period_view(self, request, period_id):
        """The period's allocation: its window, commitment, rules, wishes and runs."""
        self._readable(request)
        period = get_object_or_404(BookingPeriod.objects.select_related("activity"),
                                   pk=period_id, mode=BookingPeriod.Mode.ALLOCATION)
        wishes = Wish.objects.filter(period=period)
        return self._page(request, "period", _t("Attribution : %(period)s") % {
            "period": period}, {
            "period": period, "rules": allocation_queries.rules_for_parents(),
            "wish_count": wishes.count(),
            "household_count": wishes.values("family").distinct().count(),
            "runs": list(period.allocations.select_related("created_by", "published_by")),
            "busy": allocation_jobs.busy(period, timezone.now())})

    def run_view(self, request, period_id):
        if not request.user.has_perm(RUN):
            raise PermissionDenied
        if request.method != "POST":
            return redirect("admin:reservations_allocation_period", period_id)
        try:
            allocation_jobs.request_run(period_id, request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect("admin:reservations_allocation_period", period_id)
        return self._after_job(request, period_id, _t(
            "Brouillon calculé : vérifiez-le avant de publier."), "draft")

    def _after_job(self, request, period_id, done: str, page: str):
        """Where the agent goes once the job is asked: to its result when the worker has
        already done it (a small period, or the demo's inline worker), else to the period's
        page, which says what is being done."""
        period = BookingPeriod.objects.get(pk=period_id)
        if period.allocation_job:
            self.message_user(request, _t(
                "C'est parti : le traitement se fait en arrière-plan. Actualisez cette page "
                "dans quelques instants pour voir son résultat."), messages.INFO)
        elif period.allocation_job_error:
            self.message_user(request, period.allocation_job_error, messages.ERROR)
        else:
            latest = period.allocations.order_by("-pk").first()
            self.message_user(request, done, messages.SUCCESS)
            return redirect(f"admin:reservations_allocation_{page}", latest.pk)
        return redirect("admin:reservations_allocation_period", period_id)

    def _allocation(self, pk) -> Allocation:
        return get_object_or_404(Allocation.objects.select_related("period__activity"), pk=pk)

    def draft_view(self, request, pk):
        """The run's days with their counts; for the day chosen (?creneau=), its granted and
        waiting children with class and draw number, and those left out. A town's run has
        thousands of children a day: one day at a time."""
        self._readable(request)
        allocation = self._allocation(pk)
        stats = allocation_queries.statistics(allocation)
        chosen = request.GET.get("creneau", "")
        shown = next((slot for slot, *_counts in stats.slots if str(slot.pk) == chosen), None)
        if shown is None and stats.slots:
            shown = stats.slots[0][0]
        return self._page(request, "draft", _t("Attribution du %(day)s") % {
            "day": format_day(allocation.created_at)}, {
            "allocation": allocation, "period": allocation.period, "stats": stats,
            "shown": shown, "slots": allocation_queries.draft_by_slot(
                allocation, shown.pk) if shown else [],
            "rules": allocation.inputs["rules"]})

    def publish_view(self, request, pk):
        if not request.user.has_perm(PUBLISH):
            raise PermissionDenied
        allocation = self._allocation(pk)
        if request.method == "POST":
            try:
                allocation_jobs.request_publication(allocation.pk, request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return redirect("admin:reservations_allocation_draft", allocation.pk)
            return self._after_job(request, allocation.period_id, _t(
                "Attribution publiée : les familles sont prévenues par e-mail et la graine "
                "du tirage est révélée."), "statistics")
        return self._page(request, "publish", _t("Publier l'attribution"), {
            "allocation": allocation, "period": allocation.period,
            "stats": allocation_queries.statistics(allocation)})

    def statistics_view(self, request, pk):
        self._readable(request)
        allocation = self._allocation(pk)
        stats = allocation_queries.statistics(allocation)
        if request.GET.get("format") == "csv":
            response = HttpResponse(_statistics_csv(allocation, stats),
                                    content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="attribution-{allocation.pk}-statistiques.csv"')
            return response
        return self._page(request, "statistics", _t("Statistiques de l'attribution"), {
            "allocation": allocation, "period": allocation.period, "stats": stats,
            "csv_url": reverse("admin:reservations_allocation_statistics",
                               args=[allocation.pk]) + "?format=csv"})

    def inputs_view(self, request, pk):
        """The frozen data, as the reproduction command reads it (published runs only: a
        draft's numbers are not final)."""
        self._readable(request)
        allocation = self._allocation(pk)
        if allocation.state != Allocation.State.PUBLISHED:
            raise PermissionDenied
        response = HttpResponse(json.dumps(allocation.inputs, sort_keys=True,
                                           separators=(",", ":")),
                                content_type="application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="attribution-{allocation.pk}-donnees.json"')
        return response


def _statistics_csv(allocation, stats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_t("Jour"), _t("Unité"), _t("Lieu"), _t("Places attribuables"),
                     _t("Demandes"), _t("Attribuées"), _t("Remplissage (%)")])
    for slot, capacity, demand, granted in stats.slots:
        writer.writerow([slot.date.isoformat(), safe_cell(slot.unit.label),
                         safe_cell(str(slot.site)), capacity, demand, granted,
                         round(100 * granted / capacity) if capacity else ""])
    writer.writerow([])
    writer.writerow([_t("Classe"), _t("Enfants"), _t("Jours demandés"), _t("Jours attribués"),
                     _t("Part attribuée (%)")])
    for share in stats.classes:
        writer.writerow([share.priority_class, share.children, share.wished, share.granted,
                         round(100 * share.share)])
    return out.getvalue()
