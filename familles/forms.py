from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ground import french
from ground.sizes import human_size

from .models import Child, Contact, Document, Family, Guardian


class VaultDocumentField(forms.ModelChoiceField):
    """A document of the vault, in a select: two files often share a name (« scan.pdf »),
    so each option says its type, the day it was sent and its size."""

    def label_from_instance(self, document):
        return gettext("%(name)s — %(kind)s, %(date)s, %(size)s") % {
            "name": document.original_name, "kind": document.get_kind_display(),
            "date": french.format_day(timezone.localtime(document.uploaded_at), "j N Y"),
            "size": human_size(document.size)}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class GuardianForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = ["first_name", "last_name", "relation", "mobile_phone", "home_phone",
                  "work_phone"]
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "mobile_phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "home_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "work_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }


class FamilyAddressForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Invoices and letters go to this address: the service needs it.
        for field in self.fields.values():
            field.required = True

    class Meta:
        model = Family
        fields = ["address", "postal_code", "city"]
        widgets = {
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code",
                                                  "inputmode": "numeric"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail de l'autre responsable légal"))


class ChildForm(forms.ModelForm):
    class Meta:
        model = Child
        fields = ["first_name", "last_name", "birth_date", "sex", "school", "school_class"]
        widgets = {"birth_date": DateInput(), "sex": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No blank radio button announced as a row of dashes by screen readers.
        self.fields["sex"].choices = Child.Sex.choices


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "relation", "phone", "can_pick_up",
                  "emergency_contact", "children"]
        widgets = {"children": forms.CheckboxSelectMultiple,
                   "phone": forms.TextInput(attrs={"inputmode": "tel"})}
        error_messages = {"children": {"required": _("Choisissez au moins un enfant concerné.")}}

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = Child.objects.for_family(family)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de document"), choices=Document.Kind.choices)
    child = forms.ModelChoiceField(
        label=_("Enfant concerné"), queryset=Child.objects.none(), required=False,
        empty_label=_("Toute la famille"),
    )
    valid_until = forms.DateField(label=_("Valable jusqu'au (facultatif)"), required=False,
                                  widget=DateInput())
    file = forms.FileField(
        label=_("Fichier"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,"
                                                         "image/jpeg,image/png"}),
    )

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = Child.objects.for_family(family)
        # The cap the upload check enforces (settings.DOCUMENT_MAX_BYTES), not a copy of it.
        self.fields["file"].help_text = _("PDF, JPEG ou PNG, %(limit)s au maximum.") % {
            "limit": human_size(settings.DOCUMENT_MAX_BYTES)}
