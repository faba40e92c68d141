"""The download of an issued invoice's or attestation's PDF, for parents and staff."""

from django.http import FileResponse, Http404

from ..pdf import has_stored_pdf


def pdf_download(document, store, filename: str) -> FileResponse:
    """The issued document's PDF as a private download, rendered now (and kept) if the worker
    has not yet: ``store(pk)`` renders and stores it, None for a draft. 404 when none."""
    if not has_stored_pdf(document):
        document = store(document.pk)
        if document is None:
            raise Http404
    try:
        handle = document.pdf.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    return response
