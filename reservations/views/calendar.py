"""Parent pages: the reservation calendar and its booking endpoints.

Every endpoint works without JavaScript (a 303 back to the month, with messages) and with
htmx (the updated day, announced through the page's live region). Busy answers 503 with a
« réessayer » button; a refusal is said in the booking service's own words."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django_htmx.http import reswap

from familles.access import FamilyMixin, children_of
from familles.models import Child
from ground import french
from ground.calendar import month_end, next_month, parse_month, previous_month
from ground.commune import commune
from ground.jinja_env import fragment

from .. import queries, services
from ..calendar import (
    child_days,
    child_month,
    corresponding_slots,
    first_month_with_slots,
    period_days_for,
)
from ..period_preview import forecast

OUTCOME_LEVELS = {"confirmed": messages.SUCCESS, "waiting": messages.SUCCESS,
                  "cancelled": messages.SUCCESS, "already": messages.INFO,
                  "full": messages.WARNING, "refused": messages.ERROR}
TONE_OF_LEVEL = {messages.SUCCESS: "ok", messages.INFO: "neutral", messages.WARNING: "wait",
                 messages.ERROR: "ko"}


def _ids(values) -> list[int]:
    """The values that are written as a whole number ("12"), as ints; others are dropped
    ("²" is a digit to `str.isdigit` but not a number to `int`)."""
    return [int(v) for v in (str(v).strip() for v in values) if v.isascii() and v.isdigit()]


def calendar_url(child, month: date | None = None) -> str:
    query = {"enfant": child.pk}
    if month:
        query["mois"] = f"{month:%Y-%m}"
    return f"{reverse('reservations:calendar')}?{urlencode(query)}"


class CalendarView(FamilyMixin, View):
    """Per child and per month, every activity he is enrolled in, each day's state in words."""

    def get(self, request):
        now = timezone.now()
        children = children_of(self.family)
        if not children:
            return self.page({"children": []})
        wanted = request.GET.get("enfant")
        if wanted:
            child = next((c for c in children if str(c.pk) == wanted), None)
            if child is None:
                raise Http404
        else:
            child = self.default_child(children, now)
        first = parse_month(request.GET.get("mois"))
        if first is None:
            today = timezone.localdate(now)
            first = first_month_with_slots(child, today) or today.replace(day=1)
        return self.page({
            "children": children, "child": child,
            "month": child_month(child, first, now, [c for c in children if c.pk != child.pk]),
            "previous_url": calendar_url(child, previous_month(first)),
            "next_url": calendar_url(child, next_month(first)),
            "previous_month": previous_month(first), "next_month": next_month(first),
            "mois": f"{first:%Y-%m}",
            "justification_hours": commune().justification_hours,
        })

    def default_child(self, children, now) -> Child:
        """The first child who has a day to book; when none has, the first, and why none."""
        ready = queries.next_bookable_days([c.pk for c in children], timezone.localdate(now))
        child = next((c for c in children if ready.get(c.pk)), None)
        if child is not None:
            return child
        reasons = []
        for c in children:
            if c.pk in ready:
                reasons.append(_("aucune date n'est encore ouverte aux réservations pour "
                                 "%(child)s") % {"child": c.first_name})
            else:
                reasons.append(_("%(child)s n'est %(enrolled)s à aucune activité qui se "
                                 "réserve (une inscription validée est nécessaire)") % {
                    "child": c.first_name, "enrolled": french.agree(c.sex, "inscrit")})
        messages.info(self.request, ngettext(
            "Votre enfant ne peut pas réserver pour l'instant : %(reasons)s.",
            "Aucun de vos enfants ne peut réserver pour l'instant : %(reasons)s.",
            len(children)) % {"reasons": " ; ".join(reasons)})
        return children[0]

    def page(self, context):
        """The layout in Django's language around the content in Jinja2: some forty rows a
        month, the page's hot part (docs/performance.md, "Issue 22")."""
        return render(self.request, "reservations/calendar.html", {
            "content": fragment("reservations/_calendar.html", context, self.request)})


class _BookingEndpoint(FamilyMixin, View):
    """What the three endpoints share: the child, the answers, Busy and refusals."""

    http_method_names = ["post"]

    def own_children(self) -> tuple[Child, list[Child]]:
        """The child named, and the brothers and sisters ticked: all of them the family's
        own, checked before anything is booked."""
        ids = _ids([self.request.POST.get("child")])
        mine = {c.pk: c for c in children_of(self.family)}
        if not ids or ids[0] not in mine:
            raise Http404
        child = mine[ids[0]]
        others = set(_ids(self.request.POST.getlist("children"))) - {child.pk}
        if not others <= mine.keys():
            raise Http404
        return child, [c for c in mine.values() if c.pk in others]

    def post(self, request):
        child, self.others = self.own_children()
        lines: list[tuple[int, str]] = []
        try:
            slot_ids = self.act(child, lines)
        except services.Busy as error:
            return self.busy(child, error)
        except ValidationError as error:
            return self.refused(child, error)
        return self.answer(child, slot_ids, lines)

    # --- answers ----------------------------------------------------------------------------
    def month(self, child, slot_ids=None) -> date | None:
        first = parse_month(self.request.POST.get("mois"))
        if first is None and slot_ids:
            day = queries.first_day_of(slot_ids)
            first = day.replace(day=1) if day else None
        return first

    def redirect(self, child, slot_ids=None) -> HttpResponseRedirect:
        response = HttpResponseRedirect(calendar_url(child, self.month(child, slot_ids)))
        response.status_code = 303
        return response

    def answer(self, child, slot_ids, lines, status=200, retry=False):
        request = self.request
        if not request.htmx:
            for level, text in lines:
                messages.add_message(request, level, text)
            return self.redirect(child, slot_ids)
        days = child_days(child, slot_ids, timezone.now())
        for day in days[:1]:
            day.messages = [(TONE_OF_LEVEL[level], text) for level, text in lines]
        response = render(request, "reservations/_days.html", using="jinja2", context={
            "days": days, "child": child, "lines": [text for _level, text in lines],
            "mois": f"{self.month(child, slot_ids) or timezone.localdate():%Y-%m}",
            "retry": retry, "retry_fields": self.retry_fields(),
        }, status=status)
        if not days:
            response = reswap(response, "none")
        return response

    def retry_fields(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self.request.POST.lists()
                if name != "csrfmiddlewaretoken" for value in values]

    def busy(self, child, error):
        message = error.messages[0]
        slot_ids = _ids(self.request.POST.getlist("slot"))
        if self.request.htmx:
            return self.answer(child, slot_ids, [(messages.ERROR, message)], status=503,
                               retry=True)
        return render(self.request, "reservations/calendar_busy.html", {
            "child": child, "message": message, "action": self.request.path,
            "retry_form": fragment("reservations/_day_retry.html", {
                "retry_fields": self.retry_fields()}, self.request),
            "back_url": calendar_url(child, self.month(child, slot_ids)),
        }, status=503)

    def refused(self, child, error):
        lines = [(messages.ERROR, text) for text in error.messages]
        slot_ids = _ids(self.request.POST.getlist("slot"))
        return self.answer(child, slot_ids, lines, status=422 if self.request.htmx else 200)

    # --- outcomes in words -------------------------------------------------------------------
    @staticmethod
    def outcome_text(child, outcome) -> str:
        slot = outcome.slot
        words = {
            "confirmed": _("réservé"),
            "waiting": _("en liste d'attente"),
            "cancelled": _("annulé"),
            "full": _("complet : vous pouvez rejoindre la liste d'attente"),
            "already": _("déjà demandé (%(state)s)") % {"state": outcome.message},
        }.get(outcome.state, outcome.message)
        return _("%(child)s, %(day)s, %(activity)s (%(unit)s) : %(words)s") % {
            "child": child.first_name, "day": french.format_day(slot.date, "l j F"),
            "activity": slot.activity.name, "unit": slot.unit.label, "words": words}

    def outcome_lines(self, child, outcomes) -> list[tuple[int, str]]:
        return [(OUTCOME_LEVELS[o.state], self.outcome_text(child, o)) for o in outcomes]

    def book_together(self, child, wanted, join, lines, enrolments=None) -> list:
        """Book the child and his brothers and sisters in one action. A child whose file
        refuses him is said in the lines; the child's own refusal is the whole answer when
        he was alone. Returns the results of those who could book, in the order asked."""
        results = services.book_children(self.family, wanted, self.request.user,
                                         join_waiting_list=join, enrolments=enrolments)
        booked = []
        for result in results:
            if result.refusal is None:
                booked.append(result)
            elif len(results) == 1 and result.child is child:
                raise result.refusal
            else:
                lines.extend((messages.ERROR, text) for text in result.refusal.messages)
        return booked


class BookView(_BookingEndpoint):
    """`child`, `slot` (one or several), `waiting_list` = "1", optional `children`."""

    def act(self, child, lines):
        slot_ids = _ids(self.request.POST.getlist("slot"))
        join = self.request.POST.get("waiting_list") == "1"
        if not slot_ids:
            lines.append((messages.WARNING, _("Choisissez au moins un jour.")))
            return []
        wanted = [(child, services.load_slots(slot_ids))]
        missing = {}  # by brother or sister: the days he has no match for, in words
        for other in self.others:
            ids, missing[other.pk] = corresponding_slots(other, slot_ids)
            if ids:
                wanted.append((other, services.load_slots(ids)))
        booked = {result.child.pk: result for result in
                  self.book_together(child, wanted, join, lines)}
        for each in [child, *self.others]:
            lines.extend((messages.WARNING, text) for text in missing.get(each.pk, []))
            result = booked.get(each.pk)
            if each is child and result is not None and not result.outcomes:
                lines.append((messages.WARNING, _("Ce jour n'existe pas ou plus.")))
            if result is not None:
                lines.extend(self.outcome_lines(each, result.outcomes))
        return slot_ids


class CancelView(_BookingEndpoint):
    """`child`, `slot` (one or several): before the deadline only."""

    def act(self, child, lines):
        slot_ids = _ids(self.request.POST.getlist("slot"))
        outcomes = services.cancel(self.family, child.pk, slot_ids, self.request.user)
        if not outcomes:
            lines.append((messages.WARNING, _("Aucune réservation à annuler sur ce jour.")))
        lines.extend(self.outcome_lines(child, outcomes))
        return slot_ids


class BookPeriodView(_BookingEndpoint):
    """`child`, `period`, `unit`, `weekday` (0 = lundi; empty: every day), `waiting_list`,
    optional `children`: the same days for brothers and sisters, each at his own site;
    `confirm` = "1" to book. Without it nothing is written: the answer says what would be
    booked and billed, per child, with the button that confirms (issue 23).

    With htmx the answer is the summary under the form and, out of band, the days of the
    month on screen: the page is not rendered again for the 15 days booked."""

    period = None  # set once the request names a period of ours
    plan = None  # the child's days of the period and his enrolment, as read for booking
    periods = None  # the activity's booking periods, as booking read them
    forecasts = None  # what would be booked, when the parent has not confirmed yet

    @property
    def days(self) -> list:
        return self.plan.slots if self.plan else []

    def act(self, child, lines):
        post = self.request.POST
        ids = _ids([post.get("period")])
        period = queries.period_with_activity(ids[0]) if ids else None
        if period is None:
            raise Http404
        self.period = period
        units = queries.units_of([period.activity_id])
        unit_ids = _ids([post.get("unit")])
        unit = next((u for u in units if unit_ids and u.pk == unit_ids[0]), None)
        if unit is None:
            if unit_ids or len(units) != 1:
                raise Http404
            unit = units[0]
        weekday = _ids([post.get("weekday")])
        weekday = weekday[0] if weekday and weekday[0] < 7 else None
        join = post.get("waiting_list") == "1"
        children = [child, *self.others]
        plans = period_days_for(children, period, unit, weekday, timezone.localdate())
        wanted = []
        for each in children:
            plan = plans[each.pk]
            if plan.refusal is not None:
                if each is child:
                    raise plan.refusal
                lines.extend((messages.WARNING, text) for text in plan.refusal.messages)
                continue  # a brother or sister not enrolled: the others are still booked
            days = plan.slots
            if each is child:
                self.plan = plan
            if not days:
                lines.append((messages.WARNING, _("Aucun jour à venir dans cette période.")
                              if each is child else _(
                    "%(child)s : aucun jour à venir dans cette période.") % {
                    "child": each.first_name}))
                continue
            wanted.append((each, days))
        if post.get("confirm") != "1":
            self.forecasts = forecast(wanted, unit, queries.periods_of([period.activity_id]),
                                      join, timezone.now())
            return []
        # Their enrolments in the period's activity, read with their days: not read again.
        enrolments = {each.pk: {period.activity_id: plans[each.pk].enrolment}
                      for each, _days in wanted}
        for result in (self.book_together(child, wanted, join, lines, enrolments)
                       if wanted else []):
            self.periods = result.periods
            lines.append(self.summary(result.child, period, result.outcomes))
            lines.extend(self.outcome_lines(result.child, [
                o for o in result.outcomes if o.state in ("full", "refused")]))
        return [slot.pk for slot in self.days]

    def answer(self, child, slot_ids, lines, status=200, retry=False):
        if self.forecasts is not None:
            return self.confirmation(child, lines)
        if not self.request.htmx or self.period is None:
            return super().answer(child, slot_ids, lines, status, retry)
        if retry:  # the form's own button retries: nothing is booked twice
            lines = [*lines, (messages.INFO, _("Appuyez de nouveau sur le bouton : les jours "
                                              "déjà demandés ne sont pas réservés en double."))]
        first = self.month(child, slot_ids)
        on_screen = [slot.pk for slot in self.days
                     if first and first <= slot.date <= month_end(first)]
        return render(self.request, "reservations/_period_result.html", using="jinja2", context={
            "period": self.period, "lines": [(TONE_OF_LEVEL[level], text)
                                             for level, text in lines],
            "days": child_days(child, on_screen, timezone.now(), read=self.plan,
                               periods=self.periods), "child": child,
            "mois": f"{first or timezone.localdate():%Y-%m}",
        }, status=status)

    def confirmation(self, child, lines):
        """What would be booked, and the form that books it: under the period's form with
        htmx, a page of its own without."""
        context = {
            "period": self.period, "child": child, "forecasts": self.forecasts,
            "lines": [text for _level, text in lines],
            "fields": [(name, value) for name, value in self.retry_fields()
                       if name != "confirm"],
            "takes_anything": any(f.takes_anything for f in self.forecasts),
            "back_url": calendar_url(child, self.month(child)), "htmx": bool(self.request.htmx),
        }
        if self.request.htmx:
            return render(self.request, "reservations/_period_confirm.html", context,
                          using="jinja2")
        return render(self.request, "reservations/calendar_confirm.html", {
            "content": fragment("reservations/_period_confirm.html", context, self.request)})

    @staticmethod
    def summary(child, period, outcomes) -> tuple[int, str]:
        count = {state: sum(1 for o in outcomes if o.state == state)
                 for state in ("confirmed", "waiting", "already", "full", "refused")}
        text = _("%(child)s, « %(period)s » : %(confirmed)s jour(s) réservé(s), %(waiting)s en "
                 "liste d'attente, %(already)s déjà demandé(s), %(full)s complet(s), "
                 "%(refused)s refusé(s).") % {"child": child.first_name,
                                               "period": period.label, **count}
        level = messages.SUCCESS if count["confirmed"] or count["waiting"] else messages.WARNING
        return level, text


urlpatterns = [
    path("reservations/", CalendarView.as_view(), name="calendar"),
    path("reservations/reserver/", BookView.as_view(), name="book"),
    path("reservations/annuler/", CancelView.as_view(), name="cancel"),
    path("reservations/reserver-periode/", BookPeriodView.as_view(), name="book_period"),
]
