"""What an erasure would delete and what the law keeps, for one account (reads only): the
parent reads it before asking, staff read it before approving (docs/donnees-personnelles.md,
« Droit à l'effacement »). portail.retention.anonymise does what it says.

Kept (public accounting, GDPR art. 17.3.b): issued invoices and their lines, credit notes,
payments, attestations, direct debit mandates and their history, the bookings and
attendances that were billed or can still be, and the minimum identity they carry (family
name, guardians' and children's names, children's birth dates for the attestations
fiscales); the household's postal address only while an invoice is unpaid (the public
accountant recovers it there). Everything else goes. Health data and documents are shown as
counts only, whoever reads."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from facturation.models import (
    Attestation,
    CreditNote,
    Invoice,
    InvoiceLine,
    Mandate,
    Payment,
    euros,
)
from familles import retention as familles_retention
from familles.models import Contact, Family, Guardian, Letter
from ground.models import OutboxMessage
from ground.outbox_queries import addressed_to
from inscriptions.models import AnnualFile, FamilyQuotient
from inscriptions.retention import has_health
from reservations.models import (
    AbsenceJustification,
    Attendance,
    CalendarFeed,
    MealSubscription,
    Reservation,
    Wish,
)
from reservations.retention import future_bookings

from .models import DataExport


@dataclass
class Item:
    label: str
    count: int
    lines: list[str] = field(default_factory=list)


@dataclass
class Plan:
    family: Family
    # False when another guardian still uses the portal: only this account goes.
    household: bool
    keeps_address: bool
    goes: list[Item]
    kept: list[Item]


def unpaid(family_id: int) -> bool:
    """Whether an issued invoice of the household is not fully paid: its postal address is
    then kept for the public accountant's recovery."""
    return Invoice.objects.filter(family_id=family_id, state=Invoice.State.ISSUED).with_balances(
    ).filter(balance__gt=0).exists()


def _present(items: list[Item]) -> list[Item]:
    return [item for item in items if item.count]


def plan_for(user, now=None) -> Plan | None:
    """The plan for closing `user`'s account (None: not a guardian)."""
    now = now or timezone.now()
    guardian = Guardian.objects.select_related("family").filter(user=user).first()
    if guardian is None:
        return None
    family = guardian.family
    household = not familles_retention.others_active(family.pk, user.pk)
    keeps_address = unpaid(family.pk)
    goes = [Item(_("Votre compte de connexion (adresse e-mail, mot de passe)"), 1),
            Item(_("Vos numéros de téléphone"), 1),
            Item(_("Le texte des e-mails qui vous ont été envoyés (restent : date et objet)"),
                 sent_emails(user))]
    bookings = future_bookings(family.pk, now)  # what goes if the household closes
    if household:
        goes += _household_goes(family, keeps_address, bookings, now)
    return Plan(family=family, household=household, keeps_address=keeps_address,
                goes=_present(goes), kept=_present(_kept(family, keeps_address, bookings)))


def _household_goes(family: Family, keeps_address: bool, bookings, now) -> list[Item]:
    files = AnnualFile.objects.filter(child__family=family)
    justifications = AbsenceJustification.objects.filter(reservation__family=family)
    return [
        Item(_("L'adresse du foyer"), 0 if keeps_address or not family.address else 1),
        Item(_("Les personnes de l'entourage"), Contact.objects.filter(family=family).count()),
        Item(_("Les pièces justificatives et leurs fichiers"), family.documents.count()),
        Item(_("Les données de santé des dossiers (et leur historique)"),
             files.filter(has_health()).count()),
        Item(_("Les réservations à venir, annulées (les places sont rendues)"), len(bookings),
             [f"{r.child.first_name} – {r.slot.activity} – {r.slot.date:%d/%m/%Y}"
              for r in bookings]),
        Item(_("Les abonnements restauration en cours"), MealSubscription.objects.filter(
            enrolment__child__family=family, active=True).count()),
        Item(_("Les vœux des jours à venir"), Wish.objects.filter(
            family=family, slot__date__gte=timezone.localdate(now)).count()),
        Item(_("Les précisions et pièces des justifications d'absence"),
             justifications.exclude(details="", document=None).count()),
        Item(_("Les courriers déjà imprimés"), Letter.objects.filter(
            family=family, printed_at__isnull=False).count()),
        Item(_("Les copies de vos données (exports)"),
             DataExport.objects.filter(family=family).exclude(file="").count()),
        Item(_("L'adresse de l'agenda iCal"), CalendarFeed.objects.filter(
            family=family, revoked_at__isnull=True).count()),
    ]


def sent_emails(user) -> int:
    """The e-mails sent to the account: their text goes, who and when stay."""
    return OutboxMessage.objects.filter(addressed_to([user.email])).exclude(
        status=OutboxMessage.Status.PENDING).count()


def _kept(family: Family, keeps_address: bool, bookings) -> list[Item]:
    invoices = Invoice.objects.filter(family=family, state=Invoice.State.ISSUED)
    payments = Payment.objects.filter(invoice__family=family)
    names = [str(g) for g in family.guardians.all()] + [
        f"{c.first_name} {c.last_name}" for c in family.children.all()]
    billed = Reservation.objects.filter(family=family).exclude(
        pk__in=[r.pk for r in bookings])
    return [
        Item(_("Les factures émises"), invoices.count(),
             [f"{i.number} – {i.month:%m/%Y} – {i.total}" for i in invoices.order_by("number")]),
        Item(_("Les lignes de ces factures"),
             InvoiceLine.objects.filter(invoice__in=invoices).count()),
        Item(_("Les avoirs"), CreditNote.objects.filter(invoice__family=family).count()),
        Item(_("Les paiements"), payments.count(),
             [f"{p.received_at:%d/%m/%Y} – {p.get_method_display()} – {euros(p.amount_cents)}"
              for p in payments.order_by("received_at")]),
        Item(_("Les attestations émises"), Attestation.objects.filter(
            family=family, state=Attestation.State.ISSUED).count()),
        Item(_("Les mandats de prélèvement et leur historique"),
             Mandate.objects.filter(family=family).count()),
        Item(_("Les décisions de quotient familial (sans le justificatif)"),
             FamilyQuotient.objects.filter(family=family).count()),
        Item(_("Les réservations passées et les présences, qui ont servi à facturer"),
             billed.count() + Attendance.objects.filter(child__family=family).count()),
        Item(_("L'identité minimale qu'elles portent"), len(names) + 1,
             [family.name, *names]),
        Item(_("L'adresse du foyer, tant qu'une facture reste impayée"),
             1 if keeps_address and family.address else 0),
    ]
