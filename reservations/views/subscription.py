"""Parent pages: « Abonnement restauration », fixed canteen weekdays booked all year."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from familles.access import FamilyMixin
from familles.models import Child
from ground import french
from inscriptions.models import Enrolment

from .. import services
from ..deadlines import WEEKDAYS, describe, format_day
from ..models import MealSubscription, Reservation

UPCOMING_DAYS_SHOWN = 10


def _from_day(activity, day):
    """Before the school year, a change applies from its first day, not from tomorrow."""
    return max(day, activity.school_year.start_date)


def _from_words(activity, day) -> str:
    return format_day(_from_day(activity, day))


class SubscriptionForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Jours de cantine"),
        help_text=gettext_lazy("Ces jours sont réservés automatiquement toute l'année, hors "
                               "vacances scolaires, jours fériés et jours de fermeture."))

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekdays"].choices = [(day, capfirst(str(WEEKDAYS[day])))
                                           for day in sorted(activity.weekdays)]


class SubscriptionView(FamilyMixin, View):
    template_name = "reservations/subscription.html"

    def get_enrolment(self, pk) -> Enrolment:
        """Only the family's own validated enrolments in an activity offering it: else 404."""
        return get_object_or_404(
            Enrolment.objects.filter(
                child__in=Child.objects.for_family(self.family),
                state=Enrolment.State.VALIDATED, activity__allows_subscription=True,
            ).select_related("child", "site", "activity__school_year",
                             "activity__deadline_rule"), pk=pk)

    def get(self, request, pk):
        enrolment = self.get_enrolment(pk)
        subscription = MealSubscription.objects.filter(enrolment=enrolment).first()
        active = subscription if subscription and subscription.active else None
        form = SubscriptionForm(activity=enrolment.activity,
                                initial={"weekdays": active.weekdays if active else []})
        return self.render(enrolment, form, subscription)

    def post(self, request, pk):
        enrolment = self.get_enrolment(pk)
        names = {"of_child": french.de(enrolment.child.first_name)}
        try:
            if "stop" in request.POST:
                subscription = services.end_subscription(self.family, enrolment.pk,
                                                         request.user)
                messages.success(request, _(
                    "Abonnement %(of_child)s arrêté : les repas réservés par l'abonnement sont "
                    "annulés à partir du %(day)s.") % {
                        **names, "day": _from_words(enrolment.activity, subscription.applies_from)})
            else:
                form = SubscriptionForm(request.POST, activity=enrolment.activity)
                if not form.is_valid():
                    subscription = MealSubscription.objects.filter(enrolment=enrolment).first()
                    return self.render(enrolment, form, subscription, status=400)
                subscription = services.subscribe(self.family, enrolment.pk,
                                                  form.cleaned_data["weekdays"], request.user)
                messages.success(request, _(
                    "Abonnement %(of_child)s enregistré : %(days)s, à partir du %(day)s.") % {
                        **names, "days": ", ".join(subscription.weekday_names()),
                        "day": _from_words(enrolment.activity, subscription.applies_from)})
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("reservations:subscription", pk=enrolment.pk)

    def render(self, enrolment, form, subscription, status=200):
        activity = enrolment.activity
        now = timezone.now()
        rule = getattr(activity, "deadline_rule", None)
        upcoming = Reservation.objects.filter(
            child=enrolment.child, slot__activity=activity,
            source=Reservation.Source.SUBSCRIPTION, slot__date__gte=timezone.localdate(now),
            state__in=[Reservation.State.CONFIRMED, Reservation.State.WAITING],
        ).select_related("slot").order_by("slot__date")[:UPCOMING_DAYS_SHOWN]
        return render(self.request, self.template_name, {
            "enrolment": enrolment, "activity": activity, "child": enrolment.child,
            "form": form, "subscription": subscription,
            "active": subscription is not None and subscription.active,
            "applies_from": _from_day(activity, subscription.applies_from) if subscription
            else None,
            "first_open_day": _from_day(activity, services.first_open_day(activity, now)),
            "rule": describe(rule), "upcoming": list(upcoming),
        }, status=status)


urlpatterns = [
    path("reservations/abonnement/<int:pk>/", SubscriptionView.as_view(), name="subscription"),
]
