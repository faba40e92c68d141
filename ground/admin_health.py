"""The admin's guard of health data (GDPR art. 9), on every admin of the site (ground module:
it imports no app)."""

import functools

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, OrderBy
from django.db.models.constants import LOOKUP_SEP
from django.dispatch import Signal
from django.http import Http404

from .encrypted_fields import EncryptedTextField

# A model declares its health fields and the permission that opens them:
#     HEALTH_FIELDS = ("allergies", ...)
#     HEALTH_PERMISSION = "inscriptions.view_health_data"
# Every admin of the site (HealthGuardedAdminSite adds the mixin to those that lack it) then
# refuses, to staff without that permission, any filter, search or sort that reaches one of
# those fields, from its own model or through relations, and hides them from its pages.

# A field encrypted at rest (ground/encrypted_fields.py) is never filtered, searched or sorted
# by, whoever asks: its tokens cannot answer, and the admin refuses rather than answer wrong.

# Sent for each access by staff who hold the permission; the app that keeps the journal
# listens. kwargs: request, obj (None for a list), action ("view", "history", "list"),
# fields (the names of the health fields involved, never their values).
health_data_accessed = Signal()

# Query parameters of the change list that name no field.
NOT_LOOKUPS = {"o", "q", "p", "e", "all", "_popup", "_to_field", "_facets",
               "_changelist_filters"}


def declared_health_fields(model) -> dict:
    """The model's health fields, each with the permission that opens it."""
    permission = getattr(model, "HEALTH_PERMISSION", "")
    return dict.fromkeys(getattr(model, "HEALTH_FIELDS", ()), permission)


def lookup_path_steps(model, lookup):
    """The ``(model, field name)`` steps of a lookup path (``child__annual_files__diet``),
    through relations forward and reverse; transforms and lookups after the last field and
    unknown names end it."""
    steps = []
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            break
        steps.append((model, field.name))
        if not field.is_relation or field.related_model is None:
            break
        model = field.related_model
    return steps


def reaches_encrypted(model, lookup) -> bool:
    """Whether a lookup path reaches a field encrypted at rest."""
    return any(isinstance(step_model._meta.get_field(name), EncryptedTextField)
               for step_model, name in lookup_path_steps(model, lookup))


def ordering_path(order) -> str | None:
    """The field path an ordering entry sorts by ("-allergies", F("allergies"), …)."""
    if isinstance(order, OrderBy):
        order = order.expression
    if isinstance(order, F):
        return order.name
    if isinstance(order, str):
        return order.lstrip("-?")
    return None


class SortableByEnforcedMixin:
    """A change list that sorts only by the columns the admin lets this user sort by (Django
    checks `sortable_by` for the column headers, not for the `o` parameter of the URL)."""

    def get_ordering_field(self, field_name):
        if field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


@functools.cache
def sortable_by_enforced(changelist_class):
    if issubclass(changelist_class, SortableByEnforcedMixin):
        return changelist_class
    return type(changelist_class.__name__, (SortableByEnforcedMixin, changelist_class),
                {"__module__": changelist_class.__module__})


class HealthDataAdminMixin:
    """Keeps health data (GDPR art. 9) from staff without the permission, and journals each
    access by staff who hold it. Used by every admin and inline of the site.

    An admin declares, in `health_fields`, the names of its own columns and fields that show
    health data (its model's HEALTH_FIELDS are included); `health_permission` defaults to the
    model's HEALTH_PERMISSION. An admin that overrides a hook below calls super(), so that
    the guard keeps the last word."""

    health_fields = ()
    health_permission = ""

    # Who may see what ----------------------------------------------------------------------
    def get_health_permission(self):
        return self.health_permission or getattr(self.model, "HEALTH_PERMISSION", "")

    def own_health_fields(self) -> set:
        return {*declared_health_fields(self.model), *self.health_fields}

    def withheld_health_fields(self, request) -> set:
        """The names of this admin's fields and columns hidden from this user."""
        fields = self.own_health_fields()
        if not fields or request.user.has_perm(self.get_health_permission()):
            return set()
        return fields

    def shows_health_data(self, request) -> bool:
        return (bool(self.own_health_fields())
                and request.user.has_perm(self.get_health_permission()))

    def health_fields_reached(self, request, path) -> tuple[set, set]:
        """The health fields a lookup path reaches: (those this user may use, those he may
        not). The first step is on this admin's own model, where the admin decides."""
        allowed, withheld = set(), set()
        for depth, (model, name) in enumerate(lookup_path_steps(self.model, path)):
            if depth == 0:
                # An admin may withhold rows instead of columns (see DocumentAdmin).
                if name in self.withheld_health_fields(request):
                    withheld.add(name)
                elif name in self.own_health_fields() and self.shows_health_data(request):
                    allowed.add(name)
                continue
            permission = declared_health_fields(model).get(name)
            if permission is not None:
                (allowed if request.user.has_perm(permission) else withheld).add(name)
        return allowed, withheld

    def _path_refused(self, request, path) -> bool:
        """Whether a path reaches what this user may not filter, search or sort by: a health
        field withheld from him, or, for everyone, a field encrypted at rest."""
        return path is not None and (bool(self.health_fields_reached(request, path)[1])
                                     or reaches_encrypted(self.model, path))

    # Lookups, filters, search and sort -------------------------------------------------------
    def lookup_allowed(self, lookup, value, request=None):
        # Django answers a refused lookup with DisallowedModelAdminLookup (400), whatever
        # the value: the answer no longer depends on the hidden data.
        if request is None or self._path_refused(request, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_list_filter(self, request):
        kept = []
        for item in super().get_list_filter(request):
            name = item[0] if isinstance(item, (list, tuple)) else item
            if isinstance(name, str) and self._path_refused(request, name):
                continue
            kept.append(item)
        return kept

    def get_search_fields(self, request):
        # Also what the autocomplete of other admins searches.
        return [name for name in super().get_search_fields(request)
                if not self._path_refused(request, name.lstrip("^=@"))]

    def _column_order_path(self, name):
        if not isinstance(name, str):
            return ordering_path(getattr(name, "admin_order_field", None))
        try:
            return self.model._meta.get_field(name).name
        except FieldDoesNotExist:
            attribute = getattr(self, name, None) or getattr(self.model, name, None)
            return ordering_path(getattr(attribute, "admin_order_field", None))

    def get_list_display(self, request):
        withheld = self.withheld_health_fields(request)
        return [name for name in super().get_list_display(request) if name not in withheld]

    def get_sortable_by(self, request):
        return [name for name in super().get_sortable_by(request)
                if not self._path_refused(request, self._column_order_path(name))]

    def get_ordering(self, request):
        return [order for order in super().get_ordering(request)
                if not self._path_refused(request, ordering_path(order))]

    def get_changelist(self, request, **kwargs):
        return sortable_by_enforced(super().get_changelist(request, **kwargs))

    # The object's page, its form and inlines ----------------------------------------------
    def get_fields(self, request, obj=None):
        withheld = self.withheld_health_fields(request)
        return [f for f in super().get_fields(request, obj) if f not in withheld]

    def get_fieldsets(self, request, obj=None):
        withheld = self.withheld_health_fields(request)
        if not withheld:
            return super().get_fieldsets(request, obj)
        kept = []
        for name, options in super().get_fieldsets(request, obj):
            fields = []
            for line in options.get("fields", ()):
                if isinstance(line, (list, tuple)):
                    line = tuple(f for f in line if f not in withheld)
                    if line:
                        fields.append(line)
                elif line not in withheld:
                    fields.append(line)
            if fields:
                kept.append((name, {**options, "fields": fields}))
        return kept

    def get_readonly_fields(self, request, obj=None):
        withheld = self.withheld_health_fields(request)
        return [f for f in super().get_readonly_fields(request, obj) if f not in withheld]

    def get_exclude(self, request, obj=None):
        # No form ever carries a hidden health field, whatever the fields above say.
        exclude = super().get_exclude(request, obj)
        withheld = self.withheld_health_fields(request) & {
            f.name for f in self.model._meta.get_fields()}
        if not withheld:
            return exclude
        return [*(exclude or ()), *sorted(withheld.difference(exclude or ()))]

    def get_inlines(self, request, obj):
        return [with_health_guard(inline) for inline in super().get_inlines(request, obj)]

    # Journal -------------------------------------------------------------------------------
    def record_health_access(self, request, obj, action, fields):
        health_data_accessed.send(sender=self.model, request=request, obj=obj, action=action,
                                  fields=sorted(fields))

    def _health_shown_on_page(self, request, obj) -> set:
        fields = self.own_health_fields() if self.shows_health_data(request) else set()
        if obj is not None:
            for inline in self.get_inline_instances(request, obj):
                if (isinstance(inline, HealthDataAdminMixin)
                        and inline.shows_health_data(request)):
                    fields |= inline.own_health_fields()
        return fields

    def _visible_object(self, request, object_id):
        """The object, if this user may reach it through this admin; else 404 (the history
        of an object hidden from the list is hidden too)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None and declared_health_fields(self.model):
            raise Http404
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            fields = self._health_shown_on_page(request, obj)
            if fields:
                self.record_health_access(request, obj, "view", fields)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        obj = self._visible_object(request, object_id)
        if obj is not None and self.shows_health_data(request):
            self.record_health_access(request, obj, "history", self.own_health_fields())
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history's page of one past version: a form of the same fields.
        obj = self._visible_object(request, object_id)
        if obj is not None and self.shows_health_data(request):
            self.record_health_access(request, obj, "history", self.own_health_fields())
        return super().history_form_view(request, object_id, version_id, extra_context)

    def set_history_delta_changes(self, request, historical_records,
                                  foreign_keys_are_objs=True):
        # django-simple-history's list of changes: hidden health fields are left out.
        withheld = self.withheld_health_fields(request) & {
            f.name for f in self.model._meta.get_fields()}
        if not withheld:
            return super().set_history_delta_changes(request, historical_records,
                                                     foreign_keys_are_objs)
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(current, excluded_fields=sorted(withheld),
                                              foreign_keys_are_objs=foreign_keys_are_objs)
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def changelist_view(self, request, extra_context=None):
        fields = self._health_used_by_list(request)
        if fields:
            self.record_health_access(request, None, "list", fields)
        return super().changelist_view(request, extra_context)

    def _health_used_by_list(self, request) -> set:
        """The health fields this list filters, searches, sorts by or shows (for staff who
        hold the permission: for the others they are refused or hidden)."""
        paths = [key for key in request.GET if key not in NOT_LOOKUPS]
        if request.GET.get("q"):
            paths += [name.lstrip("^=@") for name in self.get_search_fields(request)]
        display = list(self.get_list_display(request))
        for index in request.GET.get("o", "").split("."):
            try:
                paths.append(self._column_order_path(display[int(index.lstrip("-"))]))
            except (IndexError, ValueError):
                continue
        fields = set()
        for lookup in paths:
            if lookup is not None:
                fields |= self.health_fields_reached(request, lookup)[0]
        if self.shows_health_data(request):
            fields |= self.own_health_fields().intersection(display)
        return fields


@functools.cache
def with_health_guard(admin_class):
    """The admin class itself if it uses HealthDataAdminMixin, else a subclass that does (as
    Django's own AdminSite.register subclasses an admin given options)."""
    if issubclass(admin_class, HealthDataAdminMixin):
        return admin_class
    return type(admin_class.__name__, (HealthDataAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})


class HealthGuardedAdminSite(admin.AdminSite):
    """The portal's admin site: every admin registered on it, the project's, Django's and
    the libraries', gets the health-data guard."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = with_health_guard(admin_class or admin.ModelAdmin)
        return super().register(model_or_iterable, admin_class, **options)
