"""Parent pages of allocation periods (docs/allocation.md, « Ce que voient les familles »):
where to wish, the wish form during the window, « vœux clos » until publication, then the
published result with its seed, and declining a granted day (with a confirmation step).

Every page is the household's: its children only, through FamilyMixin and the services'
own checks."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from familles.access import FamilyMixin, children_of

from .. import allocation_pages as pages
from .. import allocation_queries, draw, services
from ..deadlines import format_day, format_moment
from .calendar import _ids

MAX_RANK = 1000


def wishes_url(period) -> str:
    return reverse("reservations:wishes", args=[period.pk])


def _see_other(url) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


class WishPeriodsView(FamilyMixin, View):
    """« Vœux et attributions »: the allocation periods of the children's activities."""

    def get(self, request):
        now = timezone.now()
        return render(request, "reservations/wish_periods.html", {
            "notices": pages.household_periods(self.family, children_of(self.family), now)})


class _PeriodPage(FamilyMixin, View):
    def setup_period(self, period_pk):
        period = pages.allocation_period(period_pk)
        if period is None:
            raise Http404
        return period


class WishesView(_PeriodPage):
    """One allocation period, as the household sees it now."""

    def get(self, request, period_pk):
        return self.page(self.setup_period(period_pk))

    def post(self, request, period_pk):
        period = self.setup_period(period_pk)
        now = timezone.now()
        children = {c.pk: c for c in children_of(self.family)}
        child_ids = _ids(request.POST.getlist("enfant"))
        if not child_ids or not set(child_ids) <= children.keys():
            raise Http404
        withdraw = request.POST.get("retirer") == "1"
        try:
            wishes = [] if withdraw else self.parse(child_ids)
            recorded = services.submit_wishes(self.family, period.pk, child_ids, wishes,
                                              request.user, now=now)
        except ValidationError as error:
            return self.page(period, errors=error.messages, posted=request.POST, status=400)
        messages.success(request, self.summary(period, [children[c] for c in child_ids],
                                               recorded))
        return _see_other(wishes_url(period))

    def parse(self, child_ids) -> list:
        """The ticked days (`voeu` = "child-slot") and their optional ranks
        (`rang-child-slot`), or a ValidationError in words."""
        post = self.request.POST
        found, errors = [], []
        for value in post.getlist("voeu"):
            parts = value.split("-")
            ids = _ids(parts)
            if len(parts) != 2 or len(ids) != 2 or ids[0] not in child_ids:
                errors.append(_("Un des jours cochés n'est pas reconnu : rechargez la page et "
                                "cochez de nouveau."))
                continue
            child_id, slot_id = ids
            rank_text = post.get(f"rang-{child_id}-{slot_id}", "").strip()
            rank = None
            if rank_text:
                ranks = _ids([rank_text])
                if not ranks or not 1 <= ranks[0] <= MAX_RANK:
                    errors.append(_("L'ordre de préférence est un nombre entier de 1 à "
                                    "%(max)s, ou laissé vide.") % {"max": MAX_RANK})
                    continue
                rank = ranks[0]
            found.append(services.WishRequest(child_id, slot_id, rank))
        if errors:
            raise ValidationError(list(dict.fromkeys(errors)))
        return found

    @staticmethod
    def summary(period, children, recorded) -> str:
        close = format_moment(period.wishes_close_at)
        if not recorded:
            return _("Vœux retirés. Vous pouvez en faire de nouveaux jusqu'au %(moment)s.") % {
                "moment": close}
        count = len(recorded)
        return ngettext(
            "%(count)s vœu enregistré. Vous pouvez le modifier ou le retirer jusqu'au "
            "%(moment)s.",
            "%(count)s vœux enregistrés. Vous pouvez les modifier ou les retirer jusqu'au "
            "%(moment)s.", count) % {"count": count, "moment": close}

    def page(self, period, errors=(), posted=None, status=200):
        now = timezone.now()
        state = pages.period_state(period, now)
        children = children_of(self.family)
        context = {
            "period": period, "state": state, "errors": errors,
            "rules": allocation_queries.rules_for_parents(),
            "open_text": format_moment(period.wishes_open_at),
            "close_text": format_moment(period.wishes_close_at),
            "result_text": format_moment(period.opens_at),
            "opens_text": format_moment(period.opens_at),
            "first_day": format_day(period.first_day), "last_day": format_day(period.last_day),
        }
        if state == pages.OPEN:
            forms = pages.wish_form(self.family, children, period)
            if posted is not None:
                self.keep_posted(forms, posted)
            context["forms"] = forms
            context["can_wish"] = any(not form.refusal for form in forms)
        elif state == pages.CLOSED:
            context["wishes"] = allocation_queries.household_wishes(self.family, period)
        elif state == pages.PUBLISHED:
            allocation = allocation_queries.published(period)
            allocation.period = period
            lines = pages.result_lines(self.family, period, now)
            context.update({
                "allocation": allocation, "results": pages.by_child(lines),
                "decline_until": format_moment(allocation_queries.decline_until(allocation)),
                "published_text": format_moment(allocation.published_at),
                "inputs_url": reverse("reservations:allocation_inputs", args=[period.pk]),
            })
        return render(self.request, "reservations/wishes.html", context, status=status)

    @staticmethod
    def keep_posted(forms, posted) -> None:
        """A refused form shows again what the parent ticked and typed."""
        ticked = set(posted.getlist("voeu"))
        for form in forms:
            for day in form.days:
                for choice in day.choices:
                    key = f"{form.child.pk}-{choice.slot.pk}"
                    choice.wished = key in ticked
                    choice.rank = posted.get(f"rang-{key}", "").strip() or None


class DeclineView(_PeriodPage):
    """Give back a granted day: GET asks for confirmation, POST declines."""

    def line(self, period, data):
        ids = _ids([data.get("enfant", ""), data.get("creneau", "")])
        if len(ids) != 2:
            raise Http404
        line = pages.outcome_of(self.family, period, ids[0], ids[1], timezone.now())
        if line is None:
            raise Http404
        return line

    def get(self, request, period_pk):
        period = self.setup_period(period_pk)
        line = self.line(period, request.GET)
        return render(request, "reservations/wish_decline.html", {
            "period": period, "line": line, "day": format_day(line.entry.slot.date),
            "decline_until": format_moment(line.decline_until),
        })

    def post(self, request, period_pk):
        period = self.setup_period(period_pk)
        line = self.line(period, request.POST)
        entry = line.entry
        try:
            services.decline(self.family, entry.child_id, entry.slot_id, request.user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _(
                "%(child)s : vous avez renoncé au %(day)s. La place va au premier de la liste "
                "d'attente.") % {"child": entry.child.first_name,
                                 "day": format_day(entry.slot.date)})
        return _see_other(wishes_url(period))


class PublishedInputsView(_PeriodPage):
    """The published run's frozen data, byte for byte what its digest covers: with the
    revealed seed, anyone recomputes the result (manage.py reproduce_allocation)."""

    def get(self, request, period_pk):
        period = self.setup_period(period_pk)
        allocation = allocation_queries.published(period)
        if allocation is None:
            raise Http404
        response = HttpResponse(draw.canonical_json(allocation.inputs),
                                content_type="application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="attribution-{period.pk}-donnees.json"')
        return response


urlpatterns = [
    path("reservations/voeux/", WishPeriodsView.as_view(), name="wish_periods"),
    path("reservations/voeux/<int:period_pk>/", WishesView.as_view(), name="wishes"),
    path("reservations/voeux/<int:period_pk>/renoncer/", DeclineView.as_view(),
         name="decline"),
    path("reservations/voeux/<int:period_pk>/donnees.json", PublishedInputsView.as_view(),
         name="allocation_inputs"),
]
