"""Every state change of the inscriptions app: the yearly file, then enrolments."""

from .enrolments import (
    CatalogueRow,
    catalogue,
    latest_enrolments,
    missing_document_reason,
    reasons_not_eligible,
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
    attached_documents,
    contacts_for_child,
    family_quotient_on,
    file_refusal,
    file_refusals,
    file_rows,
    missing_items,
    record_health_access,
    require_validated_file,
    return_to_family,
    save_draft,
    set_family_quotient,
    start_annual_file,
    submit,
    validate,
)

__all__ = [
    "CARRIED_FIELDS", "DOCUMENT_FIELDS", "UPLOAD_KINDS", "CatalogueRow", "FileNotValidated",
    "attached_documents", "catalogue", "contacts_for_child", "families_of",
    "family_quotient_on", "file_refusal", "file_refusals",
    "file_rows", "latest_enrolments",
    "missing_document_reason", "missing_items", "reasons_not_eligible", "record_health_access",
    "refuse_enrolment", "request_enrolment", "require_validated_file", "return_to_family",
    "save_draft", "set_family_quotient", "start_annual_file", "submit", "validate",
    "validate_enrolment", "withdraw_enrolment",
]
