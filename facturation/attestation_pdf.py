"""Attestation PDFs (WeasyPrint, as invoices: facturation/pdf.py): rendered from the figures
frozen at issue, once, and kept in the private storage; an issued attestation never changes,
nor does its PDF."""

import datetime
import logging

import weasyprint
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string

from ground.commune import commune

from .models import Attestation, euros
from .pdf import has_stored_pdf

logger = logging.getLogger(__name__)


def pdf_filename(attestation) -> str:
    """"attestation-AF-2027-000012.pdf" (ASCII)."""
    return f"attestation-{attestation.number}.pdf"


def _dates(values) -> list[datetime.date]:
    return [datetime.date.fromisoformat(v) for v in values]


def pdf_context(attestation) -> dict:
    """The frozen figures, with euros and dates ready for the template."""
    data = attestation.data
    context = {"attestation": attestation, "family": attestation.family, "commune": commune(),
               "siret": commune().regie_siret,
               "replaces": attestation.replaces.number if attestation.replaces_id else ""}
    if attestation.kind == Attestation.Kind.FISCAL:
        context["children"] = [
            {**c, "birth_date": datetime.date.fromisoformat(c["birth_date"]),
             "amount": euros(c["amount_cents"])} for c in data["children"]]
        context.update(total=euros(data["total_cents"]), paid=euros(data["paid_cents"]),
                       cesu=euros(data["cesu_cents"]) if data["cesu_cents"] else "")
    if attestation.kind in (Attestation.Kind.FISCAL, Attestation.Kind.PAYMENTS):
        context["payments"] = [
            {**p, "date": datetime.date.fromisoformat(p["date"]),
             "amount": euros(p["amount_cents"])} for p in data["payments"]]
    if attestation.kind == Attestation.Kind.PAYMENTS:
        context["invoices"] = [
            {**i, "month": datetime.date.fromisoformat(i["month"]),
             "issued": datetime.date.fromisoformat(i["issued"]), "total": euros(i["total_cents"]),
             "balance": euros(max(i["balance_cents"], 0))} for i in data["invoices"]]
        context["credit_notes"] = [
            {**n, "issued": datetime.date.fromisoformat(n["issued"]),
             "amount": euros(n["amount_cents"])} for n in data["credit_notes"]]
        context.update(invoiced=euros(data["invoiced_cents"]),
                       credited=euros(data["credited_cents"]), total=euros(data["total_cents"]))
    if attestation.kind == Attestation.Kind.PRESENCE:
        context["activities"] = [{**a, "dates": _dates(a["dates"])} for a in data["activities"]]
        context["birth_date"] = datetime.date.fromisoformat(data["birth_date"])
    return context


def render_attestation_pdf_bytes(attestation) -> bytes:
    html = render_to_string("facturation/pdf/attestation.html", pdf_context(attestation))
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def store_attestation_pdf(attestation_id) -> Attestation | None:
    """Render and store an issued attestation's PDF unless stored already (safe to run
    twice, also at once: the row is locked meanwhile). None for a draft or an unknown id."""
    with transaction.atomic():
        attestation = Attestation.objects.select_for_update(of=("self",)).select_related(
            "family", "replaces", "child").filter(
            pk=attestation_id, state=Attestation.State.ISSUED).first()
        if attestation is None:
            logger.info("No PDF for attestation %s: not an issued one", attestation_id)
            return None
        if not has_stored_pdf(attestation):
            data = render_attestation_pdf_bytes(attestation)
            attestation.pdf.save(f"{attestation.issued_at:%Y}/{pdf_filename(attestation)}",
                                 ContentFile(data), save=False)
            Attestation.objects.filter(pk=attestation.pk).update(pdf=attestation.pdf.name)
    return attestation
