"""Issue 7, budgets: each parent page costs the same number of SQL queries for a family of
one child as for a family of four with their enrolments, canteen subscriptions, reservations,
absence justifications, contacts, documents and invoices, and never more than
`BUDGET` (« au plus une quinzaine »).

Each page is opened once to warm the caches (the session, the commune), then measured with
`CaptureQueriesContext` for the small family; the family then grows (three more children,
another month booked and billed) and the same page is measured again. The clock stands in the
middle of the booked October, so that the calendar, the absences to justify and the upcoming
days all have something to show."""

import datetime
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facturation.models import Invoice
from inscriptions.models import Enrolment
from reservations.models import AbsenceJustification, MealSubscription, Reservation
from tests.helpers import page_text
from tests.scenarios.billing import bill, book, priced_activity, weekdays_of
from tests.scenarios.enrolments import EnrolmentFactory
from tests.scenarios.families import ContactFactory, DocumentFactory
from tests.scenarios.reservations import ready_child

pytestmark = pytest.mark.django_db

BUDGET = 15

PAGES = ["dashboard", "inscriptions", "calendar", "absences", "invoices", "invoice",
         "subscription", "family", "documents", "contacts"]


@dataclass
class Family:
    guardian: object
    wednesday: object
    canteen: object
    children: list

    @property
    def year(self):
        return self.wednesday.school_year

    def month(self, month: int) -> datetime.date:
        return datetime.date(self.year.start_date.year, month, 1)


def add_child(fam: Family, months=(10,)):
    """A child with a validated file, enrolled in the Wednesdays and the canteen (subscribed
    on Mondays and Thursdays), every day of `months` booked, a document, a contact, and an
    absence justified."""
    booker = ready_child(fam.wednesday, fam.guardian)
    child = booker.child
    canteen = EnrolmentFactory(child=child, activity=fam.canteen,
                               requested_by=fam.guardian.user)
    MealSubscription.objects.create(enrolment=canteen, weekdays=[0, 3],
                                    applies_from=fam.year.start_date,
                                    updated_by=fam.guardian.user)
    fam.children.append(child)
    book_months(fam, child, months)
    DocumentFactory(family=child.family, child=child, kind="medical_certificate",
                    original_name=f"certificat-{child.first_name}.pdf")
    ContactFactory(family=child.family, first_name=f"Voisin de {child.first_name}",
                   children=[child])
    first = Reservation.objects.filter(child=child).order_by("slot__date").first()
    AbsenceJustification.objects.create(reservation=first, reason="illness",
                                        submitted_by=fam.guardian.user)
    return child


def book_months(fam: Family, child, months):
    for month in months:
        first = fam.month(month)
        book(fam.wednesday, child, weekdays_of(first, 2))
        book(fam.canteen, child, weekdays_of(first, 0) + weekdays_of(first, 3))


def urls(fam: Family, invoice) -> dict:
    child = fam.children[0]
    enrolment = Enrolment.objects.get(child=child, activity=fam.canteen)
    return {
        "dashboard": reverse("home"),
        "inscriptions": reverse("inscriptions:home"),
        "calendar": reverse("reservations:calendar") + f"?enfant={child.pk}&mois="
                                                       f"{fam.month(10):%Y-%m}",
        "absences": reverse("reservations:absences"),
        "invoices": reverse("facturation:invoices"),
        "invoice": reverse("facturation:invoice", args=[invoice.pk]),
        "subscription": reverse("reservations:subscription", args=[enrolment.pk]),
        "family": reverse("familles:family"),
        "documents": reverse("familles:documents"),
        "contacts": reverse("familles:contacts"),
    }


def measure(client, addresses: dict) -> dict:
    counts = {}
    for name, url in addresses.items():
        client.get(url)  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, f"{name}: {url} answered {response.status_code}"
        counts[name] = (len(queries), page_text(response),
                        [q["sql"] for q in queries.captured_queries])
    return counts


@pytest.fixture
def fam(guardian, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_portail"  # the pay button is drawn
    wednesday = priced_activity(name="Mercredis des Tilleuls")
    canteen = priced_activity(canteen=True, school_year=wednesday.school_year,
                              name="Restauration scolaire des Tilleuls")
    return Family(guardian=guardian, wednesday=wednesday, canteen=canteen, children=[])


def test_parent_pages_cost_the_same_queries_for_one_child_or_four(fam, client):
    october = fam.month(10)
    add_child(fam)
    small_invoice = bill(october)[fam.guardian.family_id]
    middle_of_october = timezone.make_aware(datetime.datetime(october.year, 10, 17, 12, 0))

    with time_machine.travel(middle_of_october, tick=False):
        client.force_login(fam.guardian.user)
        small = measure(client, urls(fam, small_invoice))

    for _n in range(3):
        add_child(fam, months=(10, 11))
    book_months(fam, fam.children[0], (11,))
    big_invoice = bill(fam.month(11))[fam.guardian.family_id]
    assert big_invoice.lines.values("child").distinct().count() == 4
    assert Invoice.objects.filter(family=fam.guardian.family, state="issued").count() == 2

    with time_machine.travel(middle_of_october, tick=False):
        client.force_login(fam.guardian.user)
        big = measure(client, urls(fam, big_invoice))

    # The big family's pages do show it all (else an equal count would prove nothing).
    names = [child.first_name for child in fam.children]
    for page in ("dashboard", "inscriptions", "family", "documents", "contacts"):
        assert all(name in big[page][1] for name in names), page
    assert big_invoice.number in big["invoices"][1] and small_invoice.number in big["invoices"][1]

    report = {page: (small[page][0], big[page][0]) for page in PAGES}
    grew = {page: counts for page, counts in report.items() if counts[0] != counts[1]}
    over = {page: counts for page, counts in report.items() if max(counts) > BUDGET}
    details = "\n\n".join(f"--- {page} (big family) ---\n" + "\n".join(big[page][2])
                          for page in {*grew, *over})
    assert not grew, f"query count grows with the family (small, big): {grew}\n{details}"
    assert not over, f"over the budget of {BUDGET} queries (small, big): {over}\n{details}"
