"""« Mon tableau de bord »: the invoices to pay (total, due date, PDF, pay) and the last paid
ones, and every request in one place: dossiers, and the absence justifications with their
state in words; in a number of queries that does not grow with them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facturation.services.billing import prepare_run
from ground import french
from portail.dashboard import PAID_INVOICES_SHOWN
from reservations.models import AbsenceJustification
from tests.helpers import page_text
from tests.scenarios.billing import (
    bill,
    book,
    issued_invoice,
    month_of,
    pay,
    pay_url,
    priced_activity,
    weekdays_of,
)
from tests.scenarios.families import ChildFactory
from tests.scenarios.reservations import ReservationFactory

pytestmark = pytest.mark.django_db


def dashboard(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return page_text(response)


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start:page.index("</section>", start)]


@pytest.fixture(autouse=True)
def online_payment(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_portail"


@pytest.fixture
def activity(db):
    return priced_activity(name="Mercredis des Tilleuls")


@pytest.fixture
def lea(family):
    return ChildFactory(family=family, first_name="Léa")


def test_an_invoice_to_pay_with_total_due_date_pdf_and_pay(parent_client, activity, lea):
    invoice = issued_invoice(activity, lea)

    part = section(dashboard(parent_client), "invoices-title")

    assert f"Facture {invoice.number}" in part and invoice.total in part
    assert f"à payer avant le {french.format_day(invoice.due_date, 'j F Y')}" in part
    assert reverse("facturation:invoice_pdf", args=[invoice.pk]) in part
    assert f'action="{pay_url(invoice)}"' in part
    assert reverse("facturation:invoices") in part


def test_the_last_paid_invoices_are_listed_without_pay_button(parent_client, activity, lea):
    paid = [issued_invoice(activity, lea, month=m) for m in (9, 10, 11, 12)]
    for invoice in paid:
        pay(invoice)

    part = section(dashboard(parent_client), "invoices-title")

    assert "Aucune facture à payer." in part
    shown = [i for i in paid if i.number in part]
    assert len(shown) == PAID_INVOICES_SHOWN
    assert paid[0] not in shown  # the oldest month gives way
    assert part.count("payée") == PAID_INVOICES_SHOWN
    assert not any(pay_url(invoice) in part for invoice in paid)


def test_drafts_and_other_families_invoices_are_not_shown(parent_client, activity, lea,
                                                          other_guardian):
    stranger = ChildFactory(family=other_guardian.family)
    month = month_of(activity, 10)
    book(activity, stranger, weekdays_of(month, 2))
    theirs = bill(month)[other_guardian.family_id]
    book(activity, lea, weekdays_of(month_of(activity, 11), 2))
    draft = prepare_run(month_of(activity, 11)).invoices.get(family=lea.family)

    page = dashboard(parent_client)

    assert 'id="invoices-title"' not in page
    assert theirs.number not in page and str(draft.pk) not in page


def justify(child, user, state):
    """A justification of an absence of the child (on a day of a new activity)."""
    return AbsenceJustification.objects.create(
        reservation=ReservationFactory(child=child), reason=AbsenceJustification.Reason.ILLNESS,
        state=state, submitted_by=user,
        decided_at=None if state == "submitted" else timezone.now())


def test_absence_justifications_are_requests_with_their_state_in_words(
        parent_client, guardian, lea, other_guardian):
    justify(lea, guardian.user, "submitted")
    justify(ChildFactory(family=guardian.family, first_name="Hugo"), guardian.user, "accepted")
    justify(ChildFactory(family=guardian.family, first_name="Zoé"), guardian.user, "refused")
    justify(ChildFactory(family=other_guardian.family, first_name="Paul"), other_guardian.user,
            "submitted")

    part = section(dashboard(parent_client), "files-title")

    items = {item.split(",")[0].split("– ")[-1]: item for item in part.split("<li")[1:]
             if "Justification d'absence" in item}
    assert set(items) == {"Léa", "Hugo", "Zoé"}
    assert "en cours d'examen par le service" in items["Léa"]
    assert "acceptée : journée non facturée" in items["Hugo"]
    assert "refusée : journée facturée" in items["Zoé"]
    assert reverse("reservations:absences") in part


def test_long_decided_justifications_leave_the_dashboard(parent_client, guardian, lea):
    old = justify(lea, guardian.user, "accepted")
    AbsenceJustification.objects.filter(pk=old.pk).update(
        decided_at=timezone.now() - datetime.timedelta(days=60))
    pending = justify(lea, guardian.user, "submitted")
    AbsenceJustification.objects.filter(pk=pending.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=60))

    part = section(dashboard(parent_client), "files-title")

    assert "en cours d'examen par le service" in part  # still waiting: still shown
    assert "acceptée" not in part


def test_query_count_does_not_grow_with_invoices_and_justifications(
        parent_client, guardian, activity, lea, django_assert_max_num_queries):
    pay(issued_invoice(activity, lea, month=9))
    issued_invoice(activity, lea, month=10)
    justify(lea, guardian.user, "submitted")
    with CaptureQueriesContext(connection) as few:
        dashboard(parent_client)
    pay(issued_invoice(activity, lea, month=11))
    issued_invoice(activity, lea, month=12)
    for _n in range(3):
        justify(lea, guardian.user, "accepted")
    with django_assert_max_num_queries(len(few)):
        page = dashboard(parent_client)
    assert section(page, "invoices-title").count("Télécharger le PDF") == 4
    assert section(page, "files-title").count("Justification d'absence") == 4
