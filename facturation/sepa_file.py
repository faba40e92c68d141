"""The collection file (pain.008.001.02, SEPA CORE) written by sepaxml, which validates it
against the ISO 20022 schema it ships: a file the bank would refuse is never handed to
staff. sepaxml groups the debits by sequence type (FRST, RCUR) and date, and computes each
group's and the file's number of transactions and control sum."""

import datetime

import schwifty
from django.utils.translation import gettext as _
from sepaxml import SepaDD
from sepaxml import validation as sepa_validation

from ground.commune import commune

SCHEMA = "pain.008.001.02"


class FileRefused(ValueError):
    """The file would not pass the schema (a field the bank cannot read)."""


def creditor_bic() -> str:
    """The régie's BIC: the one set, or the one its IBAN's bank code gives (schwifty's
    registry; the Banque de France's for a treasury account, BDFEFRPP); "" if neither."""
    town = commune()
    if town.regie_bic:
        return town.regie_bic
    bic = schwifty.IBAN(town.regie_iban).bic if town.regie_iban else None
    return str(bic) if bic else ""


def build(message_id: str, collection_date: datetime.date, debits: list[dict]) -> bytes:
    """The XML of a collection file. Each debit: name, iban, bic ("" if unknown), amount
    (cents), sequence ("FRST"/"RCUR"), mandate_id, mandate_date, end_to_end_id,
    description."""
    town = commune()
    bic = creditor_bic()
    if not bic:
        raise FileRefused(_("Le BIC de la régie ne se déduit pas de son IBAN : indiquez-le "
                            "dans les paramètres de la commune."))
    sepa = SepaDD({"name": town.service_name, "IBAN": town.regie_iban, "BIC": bic,
                   "batch": True, "creditor_id": town.sepa_creditor_id, "currency": "EUR",
                   "instrument": "CORE"}, schema=SCHEMA, clean=True)
    sepa.msg_id = message_id
    for debit in debits:
        payment = {
            "name": debit["name"], "IBAN": debit["iban"], "amount": debit["amount"],
            "type": debit["sequence"], "collection_date": collection_date,
            "mandate_id": debit["mandate_id"], "mandate_date": debit["mandate_date"],
            "description": debit["description"], "endtoend_id": debit["end_to_end_id"]}
        if debit["bic"]:
            payment["BIC"] = debit["bic"]
        sepa.add_payment(payment)
    try:
        return sepa.export(validate=True)
    except sepa_validation.ValidationError as exc:
        raise FileRefused(_("Le fichier de prélèvement ne respecte pas le schéma "
                            "%(schema)s : vérifiez les noms et les références.")
                          % {"schema": SCHEMA}) from exc


def validate(xml: bytes) -> None:
    """Raise FileRefused unless the XML passes the pain.008.001.02 schema."""
    try:
        sepa_validation.try_valid_xml(xml, SCHEMA)
    except sepa_validation.ValidationError as exc:
        raise FileRefused(str(exc)) from exc
