"""The printable register: the same rows as the admin page, and a column to sign."""

import weasyprint
from django.template.loader import render_to_string
from django.utils import timezone

from ground import french
from ground.commune import commune


def render_register_pdf(register) -> bytes:
    html = render_to_string("reservations/register_pdf.html", {
        "register": register, "counts": register.counts(), "commune": commune(),
        "printed_at": french.format_day(timezone.localtime(), "j F Y à H\\hi"),
    })
    return weasyprint.HTML(string=html).write_pdf()
