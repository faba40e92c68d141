"""What a household's data export holds (GDPR art. 15 and 20): every record the portal keeps
on the household, as JSON a machine can read, with the documents' files and the invoices' and
attestations' PDFs (the roof: it gathers every app). Reads only; the ZIP is written by
portail.personal_data.

Left out, on purpose: passwords and second-factor secrets, the IBAN's ciphertext (the mask
stays), the bodies of e-mails sealed because they carried a one-time link, and the vault's
internal file names (each document names its file inside the archive instead)."""

import io
import json
import zipfile

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from facturation.attestation_pdf import pdf_filename as attestation_filename
from facturation.attestation_pdf import store_attestation_pdf
from facturation.models import Attestation, CreditNote, Invoice, InvoiceLine, Mandate, Payment
from facturation.pdf import pdf_filename as invoice_filename
from facturation.pdf import store_invoice_pdf
from familles.models import Child, Contact, Document, Family, FamilyEvent, Guardian, Letter
from ground.models import OutboxMessage
from ground.outbox_queries import addressed_to
from inscriptions.models import AnnualFile, Enrolment, FamilyQuotient
from reservations.models import (
    AbsenceJustification,
    AllocationPriority,
    Attendance,
    MealSubscription,
    Reservation,
    Wish,
)

from .models import DataExport, ErasureRequest, MessageDelivery

FORMAT_VERSION = 1


def records(queryset, *, exclude=()) -> list[dict]:
    """Each row as {"id", field: value}, through Django's serializer (dates in ISO 8601)."""
    fields = [f.name for f in queryset.model._meta.get_fields()
              if getattr(f, "concrete", False) and not f.primary_key and f.name not in exclude]
    return [{"id": row["pk"], **row["fields"]}
            for row in serializers.serialize("python", queryset, fields=fields)]


def document_entry(document: Document) -> str:
    return f"documents/{document.pk}.{document.extension}"


def household_data(family: Family) -> dict:
    children = Child.objects.for_family(family)
    guardians = Guardian.objects.filter(family=family).select_related("user")
    emails = [g.user.email for g in guardians if g.user]
    documents = Document.objects.filter(family=family)
    sent = OutboxMessage.objects.filter(addressed_to(emails))
    data = {
        "famille": records(Family.objects.filter(pk=family.pk)),
        "responsables": [
            {**row, "e_mail": guardian.email,
             "derniere_connexion": guardian.user.last_login if guardian.user else None}
            for row, guardian in zip(records(guardians), guardians, strict=True)],
        "enfants": records(children),
        "dossiers": records(AnnualFile.objects.filter(child__in=children)),
        "quotients_familiaux": records(FamilyQuotient.objects.filter(family=family)),
        "entourage": records(Contact.objects.filter(family=family)),
        "inscriptions": records(Enrolment.objects.filter(child__in=children)),
        "abonnements_cantine": records(MealSubscription.objects.filter(
            enrolment__child__in=children)),
        "voeux": records(Wish.objects.filter(family=family)),
        "priorites_d_attribution": records(AllocationPriority.objects.filter(
            Q(family=family) | Q(child__in=children))),
        "reservations": records(Reservation.objects.filter(family=family)),
        "presences": records(Attendance.objects.filter(child__in=children)),
        "absences": records(AbsenceJustification.objects.filter(reservation__family=family)),
        "documents": [
            {**row, "fichier_dans_l_archive": document_entry(document)}
            for row, document in zip(records(documents, exclude=("file",)), documents,
                                     strict=True)],
        "factures": records(Invoice.objects.filter(family=family,
                                                   state=Invoice.State.ISSUED),
                            exclude=("pdf",)),
        "lignes_de_factures": records(InvoiceLine.objects.filter(
            invoice__family=family, invoice__state=Invoice.State.ISSUED)),
        "avoirs": records(CreditNote.objects.filter(invoice__family=family)),
        "paiements": records(Payment.objects.filter(invoice__family=family)),
        "mandats_de_prelevement": records(Mandate.objects.filter(family=family),
                                          exclude=("iban_encrypted",)),
        "attestations": records(Attestation.objects.filter(
            family=family, state=Attestation.State.ISSUED), exclude=("pdf",)),
        "messages_du_service": [
            {"objet": row["message__subject"], "texte": row["message__body"],
             "envoye_le": row["created_at"]}
            for row in MessageDelivery.objects.filter(family=family).values(
                "message__subject", "message__body", "created_at")],
        "e_mails": records(sent, exclude=("sealed_body",)),
        "courriers": records(Letter.objects.filter(family=family)),
        "historique": records(FamilyEvent.objects.filter(family=family)),
        "demandes_d_effacement": records(ErasureRequest.objects.filter(family=family)),
        "copies_des_donnees": records(DataExport.objects.filter(family=family),
                                      exclude=("file",)),
    }
    return {"format": FORMAT_VERSION, "produit_le": timezone.now(), **data}


def write_archive(family: Family) -> bytes:
    """The ZIP: donnees.json, the documents' files, the invoices' and attestations' PDFs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(
            household_data(family), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for document in Document.objects.filter(family=family):
            try:
                with document.file.open("rb") as handle:
                    archive.writestr(document_entry(document), handle.read())
            except FileNotFoundError:
                continue  # a file lost from the vault: its metadata still say it existed
        for pk in Invoice.objects.filter(family=family, state=Invoice.State.ISSUED).values_list(
                "pk", flat=True):
            invoice = store_invoice_pdf(pk)
            with invoice.pdf.open("rb") as handle:
                archive.writestr(f"factures/{invoice_filename(invoice)}", handle.read())
        for pk in Attestation.objects.filter(
                family=family, state=Attestation.State.ISSUED).values_list("pk", flat=True):
            attestation = store_attestation_pdf(pk)
            with attestation.pdf.open("rb") as handle:
                archive.writestr(f"attestations/{attestation_filename(attestation)}",
                                 handle.read())
    return buffer.getvalue()
