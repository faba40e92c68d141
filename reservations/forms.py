"""Forms of the reservations app: the parent's absence justification and the staff's tools."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inscriptions.models import Activity

from .models import AbsenceJustification


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class JustificationForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Motif de l'absence"),
        choices=[("", _("— Choisissez —")), *AbsenceJustification.Reason.choices])
    details = forms.CharField(
        label=_("Précisions"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoires pour « Autre motif »."))
    document = forms.ModelChoiceField(
        label=_("Document déjà déposé dans « Mes documents » (facultatif)"), required=False,
        queryset=None, empty_label=_("Aucun"))
    upload = forms.FileField(
        label=_("Ou envoyer un justificatif (facultatif)"), required=False,
        help_text=_("Un certificat médical par exemple. PDF, JPEG ou PNG, 10 Mo au maximum."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,"
                                                         "image/jpeg,image/png"}))

    def __init__(self, *args, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents
        if not documents.exists():
            del self.fields["document"]
            self.fields["upload"].label = _("Envoyer un justificatif (facultatif)")

    def clean(self):
        data = super().clean()
        if data.get("document") and data.get("upload"):
            raise forms.ValidationError(_("Choisissez un document déjà déposé ou envoyez un "
                                          "fichier, pas les deux."))
        return data

    def service_kwargs(self) -> dict:
        document = self.cleaned_data.get("document")
        return {"reason": self.cleaned_data["reason"], "details": self.cleaned_data["details"],
                "document_id": document.pk if document else None,
                "upload": self.cleaned_data.get("upload")}


# Staff tools (admin) --------------------------------------------------------------------------

class ActivityPartsMixin:
    """For a form with an `activity` field: the unit, site and age group chosen beside it (the
    fields the form has) must be that activity's."""

    def clean(self):
        data = super().clean()
        activity = data.get("activity")
        if activity is None:
            return data
        unit, site, group = data.get("unit"), data.get("site"), data.get("age_group")
        if unit and unit.activity_id != activity.pk:
            self.add_error("unit", _("Cette unité appartient à une autre activité."))
        if site and not activity.sites.filter(pk=site.pk).exists():
            self.add_error("site", _("Ce lieu n'accueille pas cette activité."))
        if group and group.activity_id != activity.pk:
            self.add_error("age_group", _("Ce groupe d'âge appartient à une autre activité."))
        return data


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Nouveau nombre de places"), min_value=0)


class CloseSlotForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de fermeture"), max_length=150,
        help_text=_("Montré aux familles et écrit dans l'e-mail qui leur annonce l'annulation."))


class GenerateSlotsForm(forms.Form):
    activity = forms.ModelChoiceField(
        label=_("Activité"),
        queryset=Activity.objects.filter(needs_reservation=True).select_related("school_year"))
    first = forms.DateField(label=_("Du (facultatif)"), required=False, widget=DateInput(),
                            help_text=_("Vide : depuis le début de l'année scolaire."))
    last = forms.DateField(label=_("Au (facultatif)"), required=False, widget=DateInput(),
                           help_text=_("Vide : jusqu'à la fin de l'année scolaire."))

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            self.add_error("last", _("La date de fin doit suivre la date de début."))
        return data
