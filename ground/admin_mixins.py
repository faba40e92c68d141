"""Admin building blocks any app may use (ground module: it imports no app). The staff's
decisions are in ground/admin_decisions.py, the guard of health data in
ground/admin_health.py."""

from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _


class ReadOnlyAdminMixin:
    """For journals (who opened what): staff read them, nobody edits or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def state_label(text, css):
    """A state in words, coloured by the admin's CSS class (state-ok, state-wait, state-ko…)."""
    return format_html('<span class="state {}">{}</span>', css, text)


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline's fields have only their column's heading, which a screen reader does
    not announce as their label (axe: « label », critical): each field gets an accessible name
    saying what and which row, « Prénom – enfant 2 » (issue 23, item 11)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        thing = self.model._meta.verbose_name
        row = _("nouvelle ligne") if index is None else index + 1
        for name, field in form.fields.items():
            if field.widget.is_hidden:
                continue
            label = field.label or name
            field.widget.attrs["aria-label"] = f"{capfirst(label)} – {thing} {row}"
