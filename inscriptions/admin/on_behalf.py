"""The front desk, for the inscriptions app: staff fill and submit a child's dossier
administratif, or ask an enrolment, for a family on the phone or at the counter. The parent's
forms and services, with the agent journaled (inscriptions.services.on_behalf)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from familles.admin.front_desk import ChannelForm, go_back, render_page, require
from familles.models import Child, Family
from ground.forms import form_error

from .. import queries
from ..forms import AnnualFileForm
from ..models import AnnualFile, SchoolYear, Site
from ..services import on_behalf, record_health_access, start_annual_file

FILE_PERMISSIONS = ("inscriptions.change_annualfile", "inscriptions.view_health_data")


def file_view(model_admin, request, child_id, year_id):
    # The form asks the health part: only staff allowed to see health data fill it.
    require(request, *FILE_PERMISSIONS)
    child = get_object_or_404(Child.objects.select_related("family"), pk=child_id)
    family = child.family
    year = get_object_or_404(SchoolYear, pk=year_id, published=True)
    annual_file = AnnualFile.objects.filter(child=child, school_year=year).first()
    title = _("Dossier administratif %(year)s de %(child)s") % {"year": year, "child": child}
    if annual_file is None:
        return _start(model_admin, request, family, child, year, title)
    if not annual_file.is_editable:
        messages.info(request, _("Ce dossier est %(state)s : il n'est plus modifiable.")
                      % {"state": annual_file.get_state_display().lower()})
        return go_back(request, family)
    form = AnnualFileForm(request.POST or None, request.FILES or None, annual_file=annual_file,
                          family=family)
    channel = ChannelForm(request.POST or None)
    record_health_access(annual_file, request.user, fields=AnnualFile.HEALTH_FIELDS,
                         path=request.path)
    if request.method == "POST" and form.is_valid() and channel.is_valid():
        send = "submit" in request.POST
        try:
            on_behalf.fill_file(
                request.user, family, child, year, data=form.model_data(),
                contacts=form.cleaned_data["authorised_contacts"], uploads=form.uploads(),
                send=send, channel=channel.cleaned_data["channel"])
        except ValidationError as exc:
            if not (send and form.missing_items(annual_file)):  # listed once, in the intro
                form.add_service_error(exc)
        else:
            messages.success(request, _("Dossier transmis : il attend la validation.") if send
                             else _("Brouillon du dossier enregistré."))
            return go_back(request, family)
    missing = form.missing_items(annual_file)
    return render_page(
        request, model_admin.admin_site, family=family, title=title,
        intro=(_("À compléter avant de transmettre : %(missing)s")
               % {"missing": " ".join(missing)}) if missing else "",
        sections=[{"form": channel}, {"form": form}],
        buttons=[{"name": "submit", "label": _("Transmettre le dossier")},
                 {"name": "draft", "label": _("Enregistrer le brouillon")}],
        status=400 if request.method == "POST" else 200)


def _start(model_admin, request, family, child, year, title):
    if request.method == "POST":
        try:
            start_annual_file(family, child, year, request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return go_back(request, family)
        return redirect(request.get_full_path())
    return render_page(
        request, model_admin.admin_site, family=family, title=title,
        intro=_("Ce dossier n'est pas commencé : il reprend les réponses du dossier validé "
                "de l'an dernier, s'il existe."),
        sections=[], buttons=[{"name": "start", "label": _("Commencer le dossier")}])


class EnrolmentOnBehalfForm(forms.Form):
    child = forms.ModelChoiceField(label=gettext_lazy("Enfant"), queryset=Child.objects.none())
    activity = forms.ModelChoiceField(label=gettext_lazy("Activité"), queryset=None)
    site = forms.ModelChoiceField(
        label=gettext_lazy("Lieu d'accueil"), queryset=Site.objects.order_by("name"),
        required=False, empty_label=gettext_lazy("— le seul lieu de l'activité —"))

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = Child.objects.for_family(family)
        self.fields["activity"].queryset = queries.open_activities().order_by(
            "school_year__start_date", "name")


def enrolment_view(model_admin, request, family_id):
    require(request, "inscriptions.add_enrolment")
    family = get_object_or_404(Family, pk=family_id)
    form = EnrolmentOnBehalfForm(request.POST or None, family=family)
    channel = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and channel.is_valid():
        data = form.cleaned_data
        try:
            enrolment = on_behalf.enrol(request.user, family, data["child"], data["activity"],
                                        data["site"], channel=channel.cleaned_data["channel"])
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Inscription de %(child)s à %(activity)s : %(state)s.")
                             % {"child": data["child"].first_name,
                                "activity": data["activity"].name,
                                "state": enrolment.get_state_display().lower()})
            return go_back(request, family)
    return render_page(
        request, model_admin.admin_site, family=family,
        title=_("Inscrire un enfant de la %(family)s") % {"family": family},
        intro=_("Les mêmes règles que sur le portail : dossier validé, âge, pièces, places."),
        sections=[{"form": channel}, {"form": form}],
        buttons=[{"name": "enrol", "label": _("Demander l'inscription")}],
        status=400 if request.method == "POST" else 200)
