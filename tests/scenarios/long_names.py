"""A household whose names do not break: a 60-character family name, child's names, contact,
activity and file name without a space or a hyphen, with something on every parent page
(an invoice to pay and a paid one, a document, a contact, a booked month, yesterday's day to
justify, a justification sent, a message of the service, a line of the family's history).
What a phone must show without scrolling sideways (issue 23).

- `long_names_household()` → `LongNamesHousehold` (the guardian logs in with PASSWORD).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from facturation.models import Invoice
from familles.models import Child, Contact, Document, FamilyEvent, Guardian
from inscriptions.models import Enrolment
from portail.models import MessageDelivery
from reservations.models import AbsenceJustification, Reservation
from tests.scenarios.billing import InvoiceFactory, pay
from tests.scenarios.families import ContactFactory, DocumentFactory, GuardianFactory
from tests.scenarios.messages import MessageFactory
from tests.scenarios.reservations import (
    ReservationFactory,
    SlotFactory,
    bookable_activity,
    ready_child,
)

# 60 letters and no break opportunity: the width a browser gives such a word is its own.
UNBROKEN = "Kerjeantremeurpenhoatquemenerriouguivarchollivierlerouxtanguy"[:60]


@dataclass
class LongNamesHousehold:
    guardian: Guardian
    child: Child
    contact: Contact
    enrolment: Enrolment
    to_pay: Invoice
    paid: Invoice
    yesterday: Reservation
    document: Document


def long_names_household() -> LongNamesHousehold:
    guardian = GuardianFactory(last_name=UNBROKEN, family__name=f"Famille {UNBROKEN}")
    activity = bookable_activity(name=f"Accueil{UNBROKEN}")
    booker = ready_child(activity, guardian)
    child = booker.child
    child.first_name, child.last_name = UNBROKEN.capitalize(), UNBROKEN
    child.save(update_fields=["first_name", "last_name"])
    # A sister in the same activity: the calendar's tabs and « aussi pour … » name her.
    sister = ready_child(activity, guardian).child
    sister.first_name = f"Soeur{UNBROKEN}"
    sister.save(update_fields=["first_name"])
    family = guardian.family
    contact = ContactFactory(family=family, last_name=UNBROKEN, children=[child])
    document = DocumentFactory(family=family, child=child, original_name=f"{UNBROKEN}.pdf")
    SlotFactory(activity=activity)  # a day to book in the calendar's month
    today = timezone.localdate()
    justified = ReservationFactory(
        slot=SlotFactory(activity=activity, date=today - datetime.timedelta(days=3)),
        child=child)
    AbsenceJustification.objects.create(
        reservation=justified, reason=AbsenceJustification.Reason.OTHER,
        details=UNBROKEN, submitted_by=guardian.user)
    yesterday = ReservationFactory(
        slot=SlotFactory(activity=activity, date=today - datetime.timedelta(days=1)),
        child=child)
    to_pay = InvoiceFactory(issued=True, family=family)
    paid = InvoiceFactory(issued=True, family=family)
    pay(paid)
    # « Messages du service » and « Historique »: a subject, a body and a line unbroken.
    message = MessageFactory(sent=True, subject=f"Fermeture{UNBROKEN}",
                             body=f"https://example.org/{UNBROKEN}{UNBROKEN}")
    MessageDelivery.objects.create(message=message, family=family, written_at=timezone.now())
    FamilyEvent.objects.create(family=family, actor_name=UNBROKEN, summary=f"Modifié{UNBROKEN}",
                               reason=UNBROKEN)
    return LongNamesHousehold(guardian=guardian, child=child, contact=contact,
                              enrolment=booker.enrolment, to_pay=to_pay, paid=paid,
                              yesterday=yesterday, document=document)
