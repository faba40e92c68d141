"""Invoice PDFs (WeasyPrint). Placeholder until written."""


def store_invoice_pdf(invoice_id: str) -> None:
    return None
