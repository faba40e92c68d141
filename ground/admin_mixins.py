"""Admin building blocks any app may use (ground module: it imports no app). The staff's
decisions are in ground/admin_decisions.py, the guard of health data in
ground/admin_health.py."""

from django.utils.html import format_html


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
