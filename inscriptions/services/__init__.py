"""Every state change of the inscriptions app: the yearly file, then enrolments, and the
campaign's reminders (reminders.py). What pages show is in inscriptions/queries.py."""

from .enrolments import (
    refuse_enrolment,
    request_enrolment,
    validate_enrolment,
    withdraw_enrolment,
)
from .files import (
    CARRIED_FIELDS,
    DOCUMENT_FIELDS,
    UPLOAD_KINDS,
    FileNotValidated,
    file_refusal,
    file_refusals,
    record_health_access,
    record_opening,
    require_validated_file,
    return_to_family,
    save_draft,
    set_family_quotient,
    start_annual_file,
    submit,
    validate,
)

__all__ = [
    "CARRIED_FIELDS", "DOCUMENT_FIELDS", "UPLOAD_KINDS", "FileNotValidated", "file_refusal",
    "file_refusals", "record_health_access", "record_opening", "refuse_enrolment",
    "request_enrolment", "require_validated_file", "return_to_family", "save_draft",
    "set_family_quotient", "start_annual_file", "submit", "validate", "validate_enrolment",
    "withdraw_enrolment",
]
