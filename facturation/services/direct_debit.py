"""SEPA direct debit, the changes: a mandate signed online by a parent or recorded by staff
from paper, its revocation, the monthly collection file, and a debit the bank rejected
(docs/prelevement.md). Each in a transaction; the rules and reads are in
facturation/direct_debit.py.

A debit put in a collection file is recorded as a payment of the invoice, received on the
collection date: the invoice is paid, so nothing (online payment, reminder) asks for it
again. A reject removes that payment (its history keeps it) and the invoice is due again."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.letters import write_to_family
from ground import crypto, validators
from ground.commune import commune

from .. import direct_debit, payment_methods, sepa_file
from ..models import DebitBatch, DebitItem, FamilyCharge, Invoice, Mandate, Payment, euros


def _checked_account(iban: str, bic: str, holder_name: str) -> tuple[str, str, str]:
    holder = " ".join((holder_name or "").split())
    if not holder:
        raise ValidationError({"holder_name": _("Indiquez le nom du titulaire du compte.")})
    try:
        validators.validate_sepa_iban(iban)
    except ValidationError as exc:
        raise ValidationError({"iban": exc.messages}) from None
    bic = validators.compact(bic)
    if bic:
        try:
            validators.validate_bic(bic)
        except ValidationError as exc:
            raise ValidationError({"bic": exc.messages}) from None
    return validators.compact(iban), bic, holder[:70]


def _new_mandate(family, iban, bic, holder_name, signed_on, source, user) -> Mandate:
    if not direct_debit.offered():
        raise ValidationError(_("Le prélèvement automatique n'est pas proposé par le "
                                "service."))
    iban, bic, holder = _checked_account(iban, bic, holder_name)
    # One active mandate per household: the family row is the lock two signatures share.
    type(family).objects.select_for_update().get(pk=family.pk)
    if direct_debit.active_mandate(family) is not None:
        raise ValidationError(_("Ce foyer a déjà un mandat de prélèvement actif : révoquez-le "
                                "avant d'en enregistrer un autre."))
    mandate = Mandate.objects.create(
        family=family, creditor_id=commune().sepa_creditor_id, holder_name=holder,
        iban_encrypted=crypto.encrypt(iban), iban_masked=direct_debit.mask(iban), bic=bic,
        signed_on=signed_on, source=source, recorded_by=user)
    upcoming = [{"invoice": invoice, "amount": euros(invoice.balance),
                 "date": direct_debit.debit_date(invoice, mandate)}
                for invoice in direct_debit.to_debit(family).order_by("due_date", "number")]
    write_to_family("mandate_signed", family, {
        "mandate": mandate, "upcoming": upcoming,
        "notice_days": commune().direct_debit_notice_days})
    return mandate


@transaction.atomic
def sign_mandate(family, user, *, iban: str, holder_name: str, bic: str = "",
                 consent: bool) -> Mandate:
    """A parent signs the household's mandate online (the consent ticked on the page that
    shows the mandate's text). The family is e-mailed its reference and the debits to come."""
    if not consent:
        raise ValidationError({"consent": _("Cochez la case pour signer le mandat.")})
    return _new_mandate(family, iban, bic, holder_name, timezone.localdate(),
                        Mandate.Source.ONLINE, user)


@transaction.atomic
def record_paper_mandate(family, staff_user, *, iban: str, holder_name: str, bic: str = "",
                         signed_on: datetime.date) -> Mandate:
    """Staff record a mandate the family signed on paper."""
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("La date de signature ne peut pas être dans le "
                                              "futur.")})
    return _new_mandate(family, iban, bic, holder_name, signed_on, Mandate.Source.PAPER,
                        staff_user)


@transaction.atomic
def revoke_mandate(family, user) -> Mandate:
    """The household's active mandate revoked (by a parent, at any time, or by staff): no
    collection file takes it any more; the debits already sent stay with the bank."""
    mandate = Mandate.objects.select_for_update().filter(
        family=family, status=Mandate.Status.ACTIVE).first()
    if mandate is None:
        raise ValidationError(_("Ce foyer n'a pas de mandat de prélèvement actif."))
    mandate.status = Mandate.Status.REVOKED
    mandate.revoked_at = timezone.now()
    mandate.revoked_by = user
    mandate.save(update_fields=["status", "revoked_at", "revoked_by"])
    write_to_family("mandate_revoked", family, {"mandate": mandate})
    return mandate


def _message_id(today: datetime.date) -> str:
    return f"PF{today:%Y%m%d}{secrets.token_hex(8).upper()}"


@transaction.atomic
def prepare_batch(collection_date: datetime.date, staff_user) -> DebitBatch:
    """The collection file of every invoice to debit whose debit date has come by
    `collection_date`: what is still owed on it, under the household's active mandate,
    FRST for a mandate's first debit and RCUR after. Each debit is recorded as a payment.
    Raises ValidationError when there is nothing to debit or the file would be refused."""
    today = timezone.localdate()
    if collection_date <= today:
        raise ValidationError(_("La date de prélèvement doit être après aujourd'hui : la "
                                "banque reçoit le fichier avant."))
    if not direct_debit.offered():
        raise ValidationError(_("Le prélèvement n'est pas proposé : cochez-le dans les "
                                "paramètres de la commune, avec l'IBAN et l'ICS de la "
                                "régie."))
    mandates = {m.family_id: m for m in Mandate.objects.select_for_update().filter(
        status=Mandate.Status.ACTIVE)}
    # Locked, then read again with their balances: a payment at the desk meanwhile counts.
    candidates = list(direct_debit.to_debit().values_list("pk", flat=True))
    list(Invoice.objects.select_for_update().filter(pk__in=candidates).values_list("pk"))
    invoices = [invoice for invoice in direct_debit.to_debit().filter(
        pk__in=candidates).select_related("family").order_by("family__name", "number")
        if direct_debit.debit_date(invoice, mandates[invoice.family_id]) <= collection_date]
    if not invoices:
        raise ValidationError(_("Aucune facture à prélever d'ici le %(day)s.")
                              % {"day": f"{collection_date:%d/%m/%Y}"})
    message_id = _message_id(today)
    first_used = set()
    debits, items = [], []
    for index, invoice in enumerate(invoices, start=1):
        mandate = mandates[invoice.family_id]
        sequence = (DebitItem.Sequence.RECURRING if mandate.first_debit_used
                    or mandate.pk in first_used else DebitItem.Sequence.FIRST)
        first_used.add(mandate.pk)
        end_to_end = f"{message_id[:26]}-{index}"[:35]
        debits.append({
            "name": mandate.holder_name, "iban": direct_debit.clear_iban(mandate),
            "bic": mandate.bic, "amount": invoice.balance, "sequence": sequence,
            "mandate_id": mandate.reference, "mandate_date": mandate.signed_on,
            "end_to_end_id": end_to_end,
            "description": _("Facture %(number)s %(service)s") % {
                "number": invoice.number, "service": commune().service_name}})
        items.append(DebitItem(invoice=invoice, mandate=mandate, amount_cents=invoice.balance,
                               sequence_type=sequence, end_to_end_id=end_to_end))
    try:
        xml = sepa_file.build(message_id, collection_date, debits)
    except sepa_file.FileRefused as exc:
        raise ValidationError(str(exc)) from None
    batch = DebitBatch.objects.create(
        collection_date=collection_date, message_id=message_id, created_by=staff_user,
        total_cents=sum(item.amount_cents for item in items), count=len(items),
        xml_encrypted=crypto.encrypt(xml.decode()))
    received_at = timezone.make_aware(datetime.datetime.combine(collection_date,
                                                                datetime.time(12)))
    for item in items:
        item.batch = batch
        item.payment = Payment.objects.create(
            invoice=item.invoice, method=Payment.Method.DIRECT_DEBIT,
            amount_cents=item.amount_cents, received_at=received_at,
            reference=item.mandate.reference, recorded_by=staff_user)
    DebitItem.objects.bulk_create(items)
    Mandate.objects.filter(pk__in=first_used).update(first_debit_used=True)
    return batch


def batch_xml(batch: DebitBatch) -> bytes:
    return crypto.decrypt(batch.xml_encrypted).encode()


@transaction.atomic
def record_reject(item_id, reason: str, staff_user) -> DebitItem:
    """The bank returned a debit (ISO reason code): its payment is removed, the invoice is
    due again (paid another way: it is never debited again), the reject fee the commune set
    becomes a charge of the household's next invoice, and the family is told by e-mail.
    Recording it twice is refused."""
    item = DebitItem.objects.select_for_update().select_related(
        "invoice__family", "mandate").filter(pk=item_id).first()
    if item is None:
        raise ValidationError(_("Ce prélèvement n'existe pas."))
    if item.rejected_at is not None:
        raise ValidationError(_("Le rejet de ce prélèvement est déjà enregistré."))
    if reason not in DebitItem.RejectReason.values:
        raise ValidationError(_("Choisissez le motif du rejet dans la liste."))
    Invoice.objects.select_for_update().filter(pk=item.invoice_id).get()
    payment = item.payment
    item.payment = None
    item.rejected_at = timezone.now()
    item.reject_reason = reason
    item.reject_fee_cents = commune().direct_debit_reject_fee_cents
    item.rejected_by = staff_user
    item.save(update_fields=["payment", "rejected_at", "reject_reason", "reject_fee_cents",
                             "rejected_by"])
    if payment is not None:
        payment.delete()
    if item.reject_fee_cents:
        # A line of the household's next invoice (services/billing.py bills it once).
        FamilyCharge.objects.create(
            family=item.invoice.family, debit_item=item, amount_cents=item.reject_fee_cents,
            label=_("Frais de rejet de prélèvement (facture %(number)s)")
            % {"number": item.invoice.number})
    # A first debit returned: the mandate's next one is a first debit again (EPC rulebook).
    if item.sequence_type == DebitItem.Sequence.FIRST:
        Mandate.objects.filter(pk=item.mandate_id).update(first_debit_used=False)
    invoice = Invoice.objects.with_balances().get(pk=item.invoice_id)
    write_to_family("debit_rejected", invoice.family, {
        "invoice": invoice, "item": item, "amount": euros(item.amount_cents),
        "balance": euros(invoice.balance), "reason": item.get_reject_reason_display(),
        "fee": euros(item.reject_fee_cents) if item.reject_fee_cents else "",
        "ways": payment_methods.available()})
    return item
