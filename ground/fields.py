"""Model fields for what people type that a check and one spelling make usable (ground module:
imports no app): a phone number is checked (ground.validators) and stored in one spelling,
whether it comes through a form, the admin or the counter's service."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import validators


class PhoneFormField(forms.CharField):
    """A phone number as typed (spaces, dots, +33, 0033…), cleaned to its one spelling."""

    default_validators = [validators.validate_phone]

    def __init__(self, **kwargs):
        # Room for what people type ("+33 (0)6 12 34 56 78"); the stored spelling is shorter.
        kwargs["max_length"] = 30
        super().__init__(**kwargs)

    def to_python(self, value):
        return validators.normalize_phone(super().to_python(value))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "tel"
        return attrs


class PhoneFieldMixin:
    """A model field's side of a phone number: checked, stored in its one spelling, typed in
    a PhoneFormField (PhoneField here, EncryptedPhoneField in ground.encrypted_fields)."""

    default_validators = [validators.validate_phone]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", validators.PHONE_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return validators.normalize_phone(value) if value else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhoneFormField, **kwargs})


class PhoneField(PhoneFieldMixin, models.CharField):
    """A phone number, French unless it starts with its country code (ground.validators)."""

    description = _("Numéro de téléphone")
