"""Forms of the parent's attestation and mandate pages (the checks that matter are in the
services)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class YearForm(forms.Form):
    """A finished calendar year in which the household paid something."""

    year = forms.TypedChoiceField(label=_("Année"), coerce=int)

    def __init__(self, years, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class PresenceForm(forms.Form):
    child = forms.TypedChoiceField(label=_("Enfant"), coerce=int)
    first = forms.DateField(label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, children, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [(c.pk, c.first_name) for c in children]


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Code de vérification"), max_length=32,
                           help_text=_("Il est imprimé en bas de l'attestation."))


def add_service_errors(form, exc: ValidationError) -> None:
    """A service's refusal shown on the form: next to its field when it names one of the
    form's, above the form otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class MandateForm(forms.Form):
    """The mandate a parent signs online (the checks are in services.direct_debit)."""

    holder_name = forms.CharField(label=_("Titulaire du compte"), max_length=70,
                                  help_text=_("Le nom écrit sur votre relevé d'identité "
                                              "bancaire (RIB)."))
    iban = forms.CharField(label=_("IBAN"), max_length=42,
                           help_text=_("Sur votre RIB : FR76 suivi de 23 caractères."),
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "spellcheck": "false"}))
    bic = forms.CharField(label=_("BIC (facultatif)"), max_length=11, required=False,
                          help_text=_("8 ou 11 caractères, sur votre RIB."))
    consent = forms.BooleanField(
        label=_("J'ai lu le mandat ci-dessus et j'autorise le prélèvement de mes factures."),
        required=False)
