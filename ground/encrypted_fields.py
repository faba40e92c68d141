"""Model fields encrypted at rest (ground module: imports no app).

A health field holds a Fernet token (ground/crypto.py, key PORTAIL_FIELD_KEY) instead of the
text: a copy of the database, a dump or a replica reveals nothing of it. What stays visible is
only whether it is empty: an empty text is stored empty, as the `has_pai` flag next to it
shows whether a PAI exists (the registers ask « anything to report? » without a key).

What a token cannot do, the field refuses loudly instead of answering wrong: the only lookups
are `isnull` and `exact` against the empty text (each encryption of the same text differs, so
no search, filter or sort on the content can work); anything else raises FieldError, and the
admin guard (ground/admin_health.py) never offers one.
"""

from django import forms
from django.core import validators as django_validators
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import crypto
from .fields import PhoneFieldMixin


class EmptyOnlyExact(Exact):
    """`field=""` (is it empty?): the only equality a token answers."""

    def get_prep_lookup(self):
        if isinstance(self.rhs, str) and self.rhs:
            raise FieldError(
                f"{self.lhs.output_field.name} is encrypted: it can only be compared with "
                "the empty text.")
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """A text stored as a Fernet token. `max_length` is checked by forms and model
    validation (the column is a text: the token is longer than what was typed);
    `single_line` gives forms a one-line input (a name) instead of a text area."""

    description = _("Texte chiffré")

    def __init__(self, *args, single_line=False, **kwargs):
        self.single_line = single_line
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.single_line:
            kwargs["single_line"] = True
        return name, path, args, kwargs

    @cached_property
    def validators(self):
        found = super().validators
        if self.max_length is not None:
            found = [*found, django_validators.MaxLengthValidator(self.max_length)]
        return found

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return crypto.decrypt(value)
        except crypto.InvalidToken:
            raise ImproperlyConfigured(
                f"{self.model._meta.label}.{self.name} cannot be decrypted with the keys of "
                "PORTAIL_FIELD_KEY: the key that encrypted it is missing (see "
                "docs/donnees-personnelles.md, « Chiffrement au repos »).") from None

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def get_transform(self, lookup_name):
        return None

    def formfield(self, **kwargs):
        widget = kwargs.get("widget")
        if self.single_line and (widget is None or issubclass(
                widget if isinstance(widget, type) else type(widget), forms.Textarea)):
            # The admin passes its text area for every TextField: a name is one line.
            kwargs["widget"] = forms.TextInput
        return super().formfield(**kwargs)


class EncryptedPhoneField(PhoneFieldMixin, EncryptedTextField):
    """A phone number (ground.fields.PhoneField's check and spelling), encrypted."""

    description = _("Numéro de téléphone chiffré")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("single_line", True)
        super().__init__(*args, **kwargs)
