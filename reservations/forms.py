"""Forms of the reservations app: the parent's absence justification and the staff's tools."""

from django import forms
from django.utils.translation import gettext_lazy as _

from familles.forms import VaultDocumentField
from familles.models import FamilyEvent
from inscriptions.models import Activity, Site

from .models import AbsenceJustification, AgeGroup


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
    document = VaultDocumentField(
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


class BookingGridForm(ActivityPartsMixin, forms.Form):
    """The booking grid's choice (GET): activity, site, week or month, and the rows' filters.
    Filters are the chosen activity's age groups, and the ages and schools its rows have."""

    activity = forms.ModelChoiceField(label=_("Activité"), queryset=Activity.objects.none())
    site = forms.ModelChoiceField(label=_("Lieu d'accueil"), queryset=Site.objects.none())
    start = forms.DateField(label=_("Semaine ou mois du"), widget=DateInput())
    span = forms.ChoiceField(label=_("Période affichée"), initial="week",
                             choices=[("week", _("la semaine")), ("month", _("le mois"))])
    age_group = forms.ModelChoiceField(label=_("Groupe d'âge"), required=False,
                                       queryset=AgeGroup.objects.none(),
                                       empty_label=_("Tous"))
    age = forms.IntegerField(label=_("Âge"), required=False, min_value=0, max_value=25)
    school = forms.CharField(label=_("École"), required=False, max_length=150)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        # The school years not over yet (in June, next year's bookings are open already);
        # the activity comes with what the columns' deadlines need.
        activities = Activity.objects.filter(school_year__end_date__gte=today,
                                             needs_reservation=True)
        self.fields["activity"].queryset = activities.select_related(
            "school_year", "deadline_rule").order_by("school_year__start_date", "kind", "name")
        self.fields["site"].queryset = Site.objects.filter(
            activities__in=activities).distinct().order_by("name")
        activity_id = self.data.get("activity") if self.is_bound else None
        if activity_id and str(activity_id).isdigit():
            self.fields["age_group"].queryset = AgeGroup.objects.filter(
                activity_id=activity_id).order_by("min_age")


class BookingGridActionForm(forms.Form):
    """What staff ask of the cells they ticked (POST)."""

    ACTIONS = ("book", "cancel", "present", "absent")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    join_waiting_list = forms.BooleanField(
        label=_("Inscrire en liste d'attente si complet"), required=False)
    reason = forms.CharField(
        label=_("Motif (obligatoire après le délai des familles)"), required=False,
        max_length=300, help_text=_("Écrit dans l'historique de la famille."),
        widget=forms.TextInput(attrs={"aria-describedby": "reason-help"}))
    channel = forms.ChoiceField(
        label=_("Demande de la famille reçue"), required=False,
        choices=[(c.value, c.label) for c in FamilyEvent.Channel
                 if c != FamilyEvent.Channel.ONLINE])
    cell = forms.CharField(required=False)  # read with getlist: "child id:slot id"

    @staticmethod
    def pairs(values) -> set[tuple[int, int]]:
        """The ticked cells' (child id, slot id); anything malformed is ignored."""
        found = set()
        for value in values:
            child, _sep, slot = str(value).partition(":")
            if child.isdigit() and slot.isdigit():
                found.add((int(child), int(slot)))
        return found
