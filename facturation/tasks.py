from celery import shared_task


@shared_task(ignore_result=True)
def render_invoice_pdf(invoice_id: str) -> None:
    """Render and store an issued invoice's PDF (safe to run twice)."""
    from .pdf import store_invoice_pdf

    store_invoice_pdf(invoice_id)
