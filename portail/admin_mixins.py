"""Admin building blocks any app may use (ground module)."""


class ReadOnlyAdminMixin:
    """For journals (who opened what): staff read them, nobody edits or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
