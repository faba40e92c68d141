"""The households' data exports, for the commune's DPO: who asked, when, what became of it
(the register of the right of access it must keep). Read only, without the archive: it holds
the household's health data, and staff have no reason to download it. Not in the
« Éducation Jeunesse » group: a DPO's account gets `portail.view_dataexport`."""

from django.contrib import admin

from ground.admin_mixins import ReadOnlyAdminMixin

from .models import DataExport


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["family", "requested_by", "requested_at", "state", "expires_at"]
    list_filter = ["state"]
    list_select_related = ["family", "requested_by"]
    search_fields = ["family__name"]
    fields = ["family", "requested_by", "requested_at", "state", "expires_at"]
    readonly_fields = fields
