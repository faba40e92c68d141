"""The printable SEPA mandate (WeasyPrint), rendered on demand: it holds the masked IBAN only."""

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string

from ground.commune import commune


def mandate_pdf_bytes(mandate) -> bytes:
    html = render_to_string("facturation/pdf/mandate.html", {
        "mandate": mandate, "family": mandate.family, "commune": commune()})
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
