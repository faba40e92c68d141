from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from familles.forms import DocumentForm, VaultDocumentField
from familles.households import households_of
from familles.models import Child, Document, Family
from familles.uploads import check_upload
from ground.forms import form_error

from .models import Activity, AnnualFile, SchoolLevel
from .queries import contacts_for_child
from .rules import missing_items, upload_refusal

# Each document slot of the file: the kinds that fit it, offered from the family's vault.
DOCUMENT_SLOTS = {
    "vaccination_document": (Document.Kind.VACCINATION,),
    "pai_document": (Document.Kind.PAI, Document.Kind.MEDICAL_CERTIFICATE),
    "custody_document": (Document.Kind.CUSTODY_CALENDAR,),
    "income_document": Document.INCOME_KINDS,
}


class AnnualFileForm(forms.ModelForm):
    accept_rules = forms.BooleanField(
        required=False, label=_("J'ai lu et j'accepte le règlement intérieur des services."))

    class Meta:
        model = AnnualFile
        fields = [
            "school", "school_class", "school_level",
            "vaccinations_up_to_date", "vaccination_document", "allergies", "diet", "has_pai",
            "pai_document", "doctor_name", "doctor_phone", "health_notes",
            "photo_consent", "outings_consent", "leave_alone_consent", "emergency_care_consent",
            "authorised_contacts",
            "shared_custody", "custody_document", "payer_family",
            "allowance_body", "allowance_number", "income_document",
        ]
        field_classes = dict.fromkeys(DOCUMENT_SLOTS, VaultDocumentField)
        widgets = {
            "authorised_contacts": forms.CheckboxSelectMultiple,
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "health_notes": forms.Textarea(attrs={"rows": 3}),
            "doctor_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, annual_file: AnnualFile, family: Family, **kwargs):
        super().__init__(*args, instance=annual_file, **kwargs)
        child = annual_file.child
        families = households_of(child)
        # Only this household's documents and the child's (shared custody: never the other
        # home's tax notice). What the other home attached stays, unnamed, unless replaced.
        vault = Document.objects.for_child_file(family, child)
        current = {field: getattr(annual_file, f"{field}_id") for field in DOCUMENT_SLOTS}
        visible = set(vault.filter(pk__in=[pk for pk in current.values() if pk])
                      .values_list("pk", flat=True))
        self.kept = {field: getattr(annual_file, field) for field, pk in current.items()
                     if pk and pk not in visible}
        for field, kinds in DOCUMENT_SLOTS.items():
            self.fields[field].queryset = vault.filter(kind__in=kinds)
            self.fields[field].empty_label = (
                _("— document joint par l'autre foyer (conservé) —") if field in self.kept
                else _("— choisir dans mes documents —"))
            # Four upload fields on one page: each label names its document.
            self.fields[f"{field}_upload"] = forms.FileField(
                required=False,
                label=_("%(document)s – ou envoyer le fichier maintenant")
                % {"document": capfirst(self.fields[field].label)},
                help_text=DocumentForm.base_fields["file"].help_text,
            )
        self.fields["authorised_contacts"].queryset = contacts_for_child(child).filter(
            can_pick_up=True)
        self.fields["payer_family"].queryset = Family.objects.filter(pk__in=families)
        self.fields["payer_family"].empty_label = _("— le foyer principal —")
        self.fields["school_level"].choices = [("", _("— à préciser —")),
                                               *SchoolLevel.choices]
        self.fields["accept_rules"].initial = (
            annual_file.rules_version_accepted == annual_file.school_year.rules_version)
        if not child.second_family_id:
            del self.fields["payer_family"]

    def clean(self):
        cleaned_data = super().clean()
        for field, document in self.kept.items():
            if cleaned_data.get(field) is None:
                cleaned_data[field] = document
        for field in DOCUMENT_SLOTS:  # by content, each refusal next to its own field
            uploaded = cleaned_data.get(f"{field}_upload")
            if uploaded:
                try:
                    check_upload(uploaded)
                except ValidationError as exc:
                    self.add_service_error(upload_refusal(field, exc))
        return cleaned_data

    def add_service_error(self, exc: ValidationError) -> None:
        """A refusal of the file's service: an upload's next to its field (keyed by its
        document slot), any other at the top of the form."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(f"{field}_upload" if field in DOCUMENT_SLOTS else None, errors)
        else:
            form_error(self, exc)

    def missing_items(self, annual_file: AnnualFile) -> list[str]:
        """What the answers just sent still lack (`annual_file` carries them, saved or not:
        the form wrote its valid answers into it)."""
        accepting = self.is_bound and bool(getattr(self, "cleaned_data", {}).get("accept_rules"))
        return missing_items(annual_file, accepting_rules=accepting)

    def uploads(self) -> dict:
        return {field: self.cleaned_data.get(f"{field}_upload") for field in DOCUMENT_SLOTS
                if self.cleaned_data.get(f"{field}_upload")}

    def model_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items()
                if k in self._meta.fields and k != "authorised_contacts"}
        data["accept_rules"] = self.cleaned_data.get("accept_rules")
        return data


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Ce que la famille doit corriger"), widget=forms.Textarea(attrs={"rows": 4}))


class EnrolmentRequestForm(forms.Form):
    """« Demander l'inscription »: which child, and where when the activity has several sites.

    Only used to read the POST: the catalogue page draws its selects from prefetched data."""

    child = forms.ModelChoiceField(queryset=Child.objects.none(), label=_("Enfant"))
    site = forms.ModelChoiceField(queryset=None, required=False, label=_("Lieu d'accueil"))

    def __init__(self, *args, family: Family, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = Child.objects.for_family(family)
        self.fields["child"].error_messages["invalid_choice"] = _(
            "Cet enfant n'appartient pas à votre famille.")
        self.fields["site"].queryset = activity.sites.all()
        self.fields["site"].error_messages["invalid_choice"] = _(
            "Choisissez un des lieux d'accueil de l'activité.")
