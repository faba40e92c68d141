"""Builders for the personal-data pages (issue 27)."""

from portail import personal_data


def ready_export(user, family):
    """The household's data export asked by `user` and built: its download link works."""
    export = personal_data.request_export(user, family)
    personal_data.build_export(export.pk)
    return export
