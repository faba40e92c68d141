"""Invoice PDFs (WeasyPrint): rendered once after issue (Celery), or at the first download
(facturation/views/downloads.py), and kept in the private storage: an issued invoice never
changes, nor does its PDF."""

import logging

import weasyprint
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ground.commune import commune

from . import direct_debit, payment_methods
from .models import Invoice
from .queries import family_invoices, invoice_context, with_status

logger = logging.getLogger(__name__)


def pdf_filename(invoice) -> str:
    """The name the family downloads: "facture-2026-000123.pdf" (ASCII)."""
    return f"facture-{invoice.number}.pdf"


def render_invoice_pdf_bytes(invoice) -> bytes:
    """The PDF of an issued invoice (with its balance on the day it is rendered)."""
    today = timezone.localdate()
    [invoice] = with_status(family_invoices(invoice.family).select_related(
        "family", "corrects").filter(pk=invoice.pk), today)
    html = render_to_string("facturation/pdf/invoice.html", {
        "invoice": invoice, "family": invoice.family, "commune": commune(),
        "rendered_on": today, "ways": payment_methods.available(invoice.family),
        "debit": direct_debit.pre_notification(invoice, invoice.family),
        **invoice_context(invoice),
    })
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def has_stored_pdf(document) -> bool:
    """An invoice's or an attestation's PDF is stored (its file really there)."""
    return bool(document.pdf) and document.pdf.storage.exists(document.pdf.name)


def store_invoice_pdf(invoice_id) -> Invoice | None:
    """Render and store an issued invoice's PDF if it is not stored yet (safe to run twice,
    also at once: the invoice row is locked while it is rendered). Returns the invoice, or
    None for a draft or an unknown id."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(
            pk=invoice_id, state=Invoice.State.ISSUED).first()
        if invoice is None:
            logger.info("No PDF for invoice %s: not an issued invoice", invoice_id)
            return None
        if not has_stored_pdf(invoice):
            data = render_invoice_pdf_bytes(invoice)
            invoice.pdf.save(f"{invoice.month:%Y}/{pdf_filename(invoice)}", ContentFile(data),
                             save=False)
            Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return invoice
