"""The front desk, for the reservations app: staff book a child's days of a period for his
family, or justify an absence reported by phone. The parents' services, with the agent
journaled (reservations.services.on_behalf)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from familles.admin.front_desk import ChannelForm, go_back, render_page, require
from familles.models import Child, Document, Family
from ground.forms import form_error

from .. import queries
from ..deadlines import format_day
from ..forms import JustificationForm
from ..models import BookingPeriod
from ..services import absences
from ..services.on_behalf import book_for_family, justify_for_family


class PeriodChoiceForm(forms.Form):
    child = forms.ModelChoiceField(label=gettext_lazy("Enfant"), queryset=Child.objects.none())
    period = forms.ModelChoiceField(label=gettext_lazy("Période de réservation"),
                                    queryset=BookingPeriod.objects.none())

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = Child.objects.for_family(family)
        self.fields["period"].queryset = BookingPeriod.objects.filter(
            last_day__gte=timezone.localdate()).select_related("activity").order_by(
            "first_day", "activity__name")


class DaysForm(forms.Form):
    slots = forms.MultipleChoiceField(label=gettext_lazy("Jours à réserver"),
                                      widget=forms.CheckboxSelectMultiple)
    join_waiting_list = forms.BooleanField(
        label=gettext_lazy("Inscrire en liste d'attente les jours complets"), required=False,
        initial=True)

    def __init__(self, *args, period, **kwargs):
        super().__init__(*args, **kwargs)
        slots = queries.open_days_of_period(period, timezone.localdate())
        self.fields["slots"].choices = [
            (slot.pk, _("%(day)s – %(unit)s – %(site)s (%(free)s place(s) libre(s))") % {
                "day": format_day(slot.date), "unit": slot.unit.label, "site": slot.site.name,
                "free": max(slot.capacity - slot.booked, 0)})
            for slot in slots]


def book_view(model_admin, request, family_id):
    require(request, "reservations.add_reservation")
    family = get_object_or_404(Family, pk=family_id)
    title = _("Réserver pour un enfant de la %(family)s") % {"family": family}
    choice = PeriodChoiceForm(request.GET if "period" in request.GET else None, family=family)
    if not choice.is_bound or not choice.is_valid():
        return render_page(
            request, model_admin.admin_site, family=family, title=title,
            intro=_("Choisissez l'enfant et la période, puis les jours."),
            sections=[{"form": choice}], method="get",
            buttons=[{"name": "choose", "label": _("Voir les jours")}])
    child, period = choice.cleaned_data["child"], choice.cleaned_data["period"]
    days = DaysForm(request.POST or None, period=period)
    channel = ChannelForm(request.POST or None)
    if request.method == "POST" and days.is_valid() and channel.is_valid():
        try:
            outcomes = book_for_family(
                request.user, family, child, [int(pk) for pk in days.cleaned_data["slots"]],
                channel=channel.cleaned_data["channel"],
                join_waiting_list=days.cleaned_data["join_waiting_list"])
        except ValidationError as exc:
            form_error(days, exc)
        else:
            for outcome in outcomes:
                what = outcome.message or OUTCOME_WORDS.get(outcome.state, "")
                text = f"{format_day(outcome.slot.date)} : {what}"
                level = messages.SUCCESS if outcome.changed else messages.WARNING
                messages.add_message(request, level, text)
            return go_back(request, family)
    return render_page(
        request, model_admin.admin_site, family=family,
        title=_("Réserver pour %(child)s : %(period)s") % {"child": child, "period": period},
        intro=_("Les mêmes règles que sur le portail : dossier validé, inscription, "
                "ouverture, délai, places. La famille reçoit le récapitulatif (par e-mail, "
                "ou par courrier sans adresse e-mail)."),
        sections=[{"form": channel}, {"form": days}],
        buttons=[{"name": "book", "label": _("Réserver")}],
        status=400 if request.method == "POST" else 200)


OUTCOME_WORDS = {"confirmed": gettext_lazy("réservé"),
                 "waiting": gettext_lazy("en liste d'attente")}


class PhoneJustificationForm(JustificationForm):
    reservation = forms.ModelChoiceField(label=gettext_lazy("Jour d'absence"), queryset=None)
    caller = forms.CharField(label=gettext_lazy("Nom de la personne qui appelle"),
                             max_length=120)
    field_order = ["reservation", "caller", "reason", "details"]

    def __init__(self, *args, reservations, **kwargs):
        super().__init__(*args, documents=Document.objects.none(), **kwargs)
        self.fields.pop("upload")  # a paper certificate goes through « Déposer »
        self.fields["reservation"].queryset = reservations
        self.fields["reservation"].label_from_instance = lambda r: _(
            "%(child)s – %(day)s – %(activity)s") % {
            "child": r.child.first_name, "day": format_day(r.slot.date),
            "activity": r.slot.activity.name}


def justify_view(model_admin, request, family_id):
    require(request, "reservations.add_absencejustification")
    family = get_object_or_404(Family, pk=family_id)
    justifiable = absences.justifiable_reservations(family)
    reservations = absences.family_reservations(family).filter(
        pk__in=[r.pk for r in justifiable])
    form = PhoneJustificationForm(request.POST or None, reservations=reservations)
    channel = ChannelForm(request.POST or None, initial={"channel": "phone"})
    if request.method == "POST" and form.is_valid() and channel.is_valid():
        data = form.cleaned_data
        try:
            justify_for_family(request.user, family, data["reservation"].pk,
                               reason=data["reason"], details=data["details"],
                               caller=data["caller"], channel=channel.cleaned_data["channel"])
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Absence justifiée ; elle attend la décision du "
                                        "service."))
            return go_back(request, family)
    return render_page(
        request, model_admin.admin_site, family=family,
        title=_("Justifier une absence pour la %(family)s") % {"family": family},
        intro=(_("Les jours dont le délai d'annulation est passé et dont l'absence peut "
                 "encore être justifiée.") if justifiable
               else _("Aucune absence ne peut être justifiée pour cette famille "
                      "aujourd'hui.")),
        sections=[{"form": channel}, {"form": form}] if justifiable else [],
        buttons=[{"name": "justify", "label": _("Justifier l'absence")}] if justifiable else [],
        status=400 if request.method == "POST" else 200)
