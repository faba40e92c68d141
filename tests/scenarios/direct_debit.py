"""Direct debit as a régie sets it up and families sign (docs/prelevement.md).

- `IBAN`, `ICS`: valid identifiers (the régie's account, its creditor identifier);
  `FAMILY_IBANS`: valid accounts of families (French and German), with their masked form.
- `offer_direct_debit(notice_days=14, reject_fee_cents=0)`: the commune offers it, with the
  régie's IBAN and ICS.
- `mandate_for(family, iban=FAMILY_IBANS[0][0], signed_on=None)`: an active mandate recorded
  through the staff's service (paper), signed on that day (today by default).
- `debit_xml(batch)`: the collection file parsed, as `{"ns": …, "root": Element}`;
  `texts(root, path)`: the texts of the elements at that path (namespace added)."""

import datetime
import xml.etree.ElementTree as ET

from django.utils import timezone

from facturation.services.direct_debit import batch_xml, record_paper_mandate
from ground.commune import update_commune
from tests.scenarios.accounts import StaffFactory

IBAN = "FR7630001007941234567890185"
ICS = "FR72ZZZ123456"
FAMILY_IBANS = [("FR7630006000011234567890189", "FR76 •••• •••• 0189"),
                ("DE89370400440532013000", "DE89 •••• •••• 3000")]
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def offer_direct_debit(notice_days: int = 14, reject_fee_cents: int = 0) -> None:
    update_commune(payment_methods=["card", "cheque", "direct_debit"], regie_iban=IBAN,
                   sepa_creditor_id=ICS, direct_debit_notice_days=notice_days,
                   direct_debit_reject_fee_cents=reject_fee_cents)


def mandate_for(family, iban: str = FAMILY_IBANS[0][0], signed_on: datetime.date | None = None,
                holder_name: str = "Claire Martin"):
    return record_paper_mandate(family, StaffFactory(), iban=iban, holder_name=holder_name,
                                signed_on=signed_on or timezone.localdate())


def debit_xml(batch) -> ET.Element:
    return ET.fromstring(batch_xml(batch))  # noqa: S314 (the file the portal wrote)


def texts(root: ET.Element, path: str) -> list[str]:
    return [element.text for element in root.iterfind(path, NS)]
