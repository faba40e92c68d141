"""A household with one of everything a parent page shows, for the accessibility walk
(tests/test_accessibility_browser.py): each page then has its lists, badges and forms
filled, not only its empty state."""

import datetime

from django.utils import timezone

from facturation.models import PaymentAttempt
from familles.models import Invitation
from inscriptions.models import AnnualFile
from reservations.models import MealSubscription, Reservation

from .accounts import UserFactory
from .allocation import periods_in_every_state
from .billing import InvoiceFactory, priced_activity
from .direct_debit import offer_direct_debit
from .enrolments import ActivityFactory, AnnualFileFactory, EnrolmentFactory
from .families import ChildFactory, ContactFactory, DocumentFactory, GuardianFactory
from .messages import MessageFactory, send_now
from .reservations import ReservationFactory, SlotFactory, bookable_activity, ready_child


def household_with_everything() -> dict:
    """The guardian and the addresses of his pages that carry an object of his."""
    activity = priced_activity(name="Mercredis des Tilleuls")
    year = activity.school_year
    canteen = bookable_activity(canteen=True, school_year=year)
    ActivityFactory(staff_validated=True, school_year=year, name="Poterie")
    SlotFactory(activity=canteen)
    booker = ready_child(activity, GuardianFactory(first_name="Nolwenn", last_name="Abalain"))
    guardian, child = booker.guardian, booker.child
    canteen_enrolment = EnrolmentFactory(child=child, activity=canteen,
                                         requested_by=guardian.user)
    MealSubscription.objects.create(
        enrolment=canteen_enrolment, weekdays=[0, 3], applies_from=year.start_date,
        updated_by=guardian.user)
    first = SlotFactory(activity=activity)
    SlotFactory(activity=activity, date=first.date + datetime.timedelta(days=7))
    ReservationFactory(slot=first, child=child, state=Reservation.State.CONFIRMED)
    # Today's booking: its deadline has passed, an absence can be justified.
    today = ReservationFactory(slot=SlotFactory(activity=activity, date=timezone.localdate()),
                               child=child, state=Reservation.State.CONFIRMED)
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=4250)
    # An online payment started with the demonstration provider: its « bank » and return.
    attempt = PaymentAttempt.objects.create(
        invoice=invoice, provider=PaymentAttempt.Provider.DEMO, amount_cents=4250,
        state=PaymentAttempt.State.PENDING, provider_reference="demo-accessibility")
    offer_direct_debit()  # « Mes factures » offers a mandate, its page has the form to sign
    contact = ContactFactory(family=guardian.family, children=[child])
    invitation = Invitation.objects.create(family=guardian.family, email="oncle@example.org",
                                           invited_by=guardian)
    send_now(MessageFactory(activity=activity))
    document = DocumentFactory(family=guardian.family, original_name="attestation.pdf")
    annual_file = AnnualFile.objects.get(child=child)
    sibling = ChildFactory(family=guardian.family, first_name="Léo")  # his dossier: a draft
    AnnualFileFactory(child=sibling, school_year=year)
    wishes = periods_in_every_state(guardian, year)
    return {
        "wishes_open": wishes["open"], "wishes_closed": wishes["closed"],
        "wishes_published": wishes["published"], "wishes_decline": wishes["decline"],
        "guardian": guardian,
        "child_edit": f"/famille/enfants/{child.pk}/modifier/",
        "contact_edit": f"/famille/entourage/{contact.pk}/modifier/",
        "contact_delete": f"/famille/entourage/{contact.pk}/supprimer/",
        "annual_file": f"/inscriptions/dossier/{child.pk}/{annual_file.school_year_id}/",
        "new_annual_file": f"/inscriptions/dossier/{sibling.pk}/{year.pk}/",
        "subscription": f"/reservations/abonnement/{canteen_enrolment.pk}/",
        "invoice": f"/factures/{invoice.pk}/",
        "payment": f"/factures/{invoice.pk}/paiement/",
        "pay": f"/factures/{invoice.pk}/payer/",
        "attempt_return": f"/factures/{invoice.pk}/paiement/{attempt.pk}/",
        "demo_bank": f"/paiement/demonstration/{attempt.pk}/",
        "invitation": f"/famille/invitation/{invitation.token}/",
        "document_delete": f"/documents/{document.pk}/supprimer/",
        "newcomer": UserFactory(email="nouveau@example.org"),  # signed up, no family yet
        "justify": f"/reservations/absence/{today.pk}/",
        # A month of the Wednesdays' booking period: its form, and the confirmation it asks.
        "period_month": f"/reservations/?mois={first.date:%Y-%m}",
    }
