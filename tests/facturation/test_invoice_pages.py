"""« Mes factures »: the family's invoices to pay (due date, late in words) and settled, its
credit notes, one invoice with its lines, its PDF; another family's invoice or a draft is
never reachable, and the list costs the same number of queries for one invoice or many.

Invoices are made as staff make them: reservations priced by the tariff of
tests/scenarios/billing.py, `prepare_run`, then `issue_run`."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facturation.models import Invoice, Payment, euros
from facturation.pdf import render_invoice_pdf_bytes
from facturation.services.billing import prepare_run
from ground import french
from ground.commune import update_commune
from tests.helpers import page_text, pdf_text, visible_text
from tests.scenarios.billing import (
    TARIFF,
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

pytestmark = pytest.mark.django_db

TOP_PRICE = TARIFF[-1][1]  # a family without a valid QF pays the top bracket


def long_date(day) -> str:
    return french.format_day(day, "j F Y")


def part(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start:page.index("</section>", start)]


@pytest.fixture(autouse=True)
def online_payment(settings):
    """Stripe keys set: « Payer » goes to Stripe Checkout (tests without keys unset it)."""
    settings.STRIPE_SECRET_KEY = "sk_test_portail"


@pytest.fixture
def activity(db):
    return priced_activity(name="Mercredis des Tilleuls")


@pytest.fixture
def lea(family):
    return ChildFactory(family=family, first_name="Léa")


# The list -------------------------------------------------------------------------------

def test_an_invoice_to_pay_shows_its_total_due_date_pdf_and_pay(parent_client, activity, lea):
    invoice = issued_invoice(activity, lea)
    wednesdays = weekdays_of(month_of(activity, 10), 2)

    response = parent_client.get(reverse("facturation:invoices"))

    to_pay = part(page_text(response), "t-to-pay")
    assert invoice.number in to_pay
    assert euros(len(wednesdays) * TOP_PRICE) in to_pay
    assert f"à payer avant le {long_date(invoice.due_date)}" in to_pay
    assert "en retard" not in to_pay
    assert reverse("facturation:invoice_pdf", args=[invoice.pk]) in to_pay
    assert reverse("facturation:invoice", args=[invoice.pk]) in to_pay
    assert pay_url(invoice) and f'action="{pay_url(invoice)}"' in to_pay
    assert "Aucune facture réglée" in page_text(response)


def test_past_its_due_date_an_unpaid_invoice_is_late_in_words(parent_client, guardian,
                                                               activity, lea):
    invoice = issued_invoice(activity, lea)
    on_due_date = datetime.datetime.combine(invoice.due_date, datetime.time(9),
                                            tzinfo=timezone.get_current_timezone())
    with time_machine.travel(on_due_date):
        parent_client.force_login(guardian.user)  # the session would have expired
        response = parent_client.get(reverse("facturation:invoices"))
    assert "en retard" not in part(page_text(response), "t-to-pay")
    with time_machine.travel(on_due_date + datetime.timedelta(days=1)):
        parent_client.force_login(guardian.user)
        response = parent_client.get(reverse("facturation:invoices"))
    to_pay = part(page_text(response), "t-to-pay")
    assert invoice.number in to_pay
    assert f"en retard : à payer avant le {long_date(invoice.due_date)}" in to_pay


def test_paid_and_cancelled_invoices_are_settled_and_credit_notes_listed(
        parent_client, activity, lea):
    october = issued_invoice(activity, lea, month=10)
    pay(october)
    # November billed with three Wednesdays, then the last one booked after issue: a credit
    # note cancels the November invoice and a corrective invoice bills the four.
    november_days = weekdays_of(month_of(activity, 11), 2)
    book(activity, lea, november_days[:-1])
    november = bill(month_of(activity, 11))[lea.family_id]
    book(activity, lea, november_days[-1:])
    corrective = bill(month_of(activity, 11))[lea.family_id]
    assert corrective.corrects_id == november.pk

    page = page_text(parent_client.get(reverse("facturation:invoices")))

    settled = part(page, "t-settled")
    assert october.number in settled and "payée" in settled
    assert november.number in settled and "annulée par un avoir" in settled
    to_pay = part(page, "t-to-pay")
    assert corrective.number in to_pay
    assert october.number not in to_pay and november.number not in to_pay
    assert pay_url(october) not in page and pay_url(november) not in page
    credit = part(page, "t-credit-notes")
    note = november.credit_notes.get()
    assert note.number in credit and november.number in credit
    assert euros(november.total_cents) in credit


def test_a_partly_paid_invoice_shows_what_is_left(parent_client, activity, lea):
    invoice = issued_invoice(activity, lea)
    pay(invoice, amount_cents=TOP_PRICE)
    to_pay = part(page_text(parent_client.get(reverse("facturation:invoices"))), "t-to-pay")
    assert "payée en partie" in to_pay
    assert euros(invoice.total_cents - TOP_PRICE) in to_pay


def test_a_payment_flagged_for_refund_does_not_pay(parent_client, activity, lea):
    invoice = issued_invoice(activity, lea)
    Payment.objects.create(invoice=invoice, method=Payment.Method.CARD,
                           amount_cents=invoice.total_cents, received_at=timezone.now(),
                           flagged_for_refund=True, flag_reason="Double paiement")
    page = page_text(parent_client.get(reverse("facturation:invoices")))
    assert invoice.number in part(page, "t-to-pay")


def test_drafts_and_other_families_invoices_are_not_listed(parent_client, activity, lea,
                                                           other_guardian):
    stranger = ChildFactory(family=other_guardian.family, first_name="Paul")
    month = month_of(activity, 10)
    book(activity, lea, weekdays_of(month, 2))
    book(activity, stranger, weekdays_of(month, 2))
    theirs = bill(month)[other_guardian.family_id]
    book(activity, lea, weekdays_of(month_of(activity, 11), 2))
    draft = prepare_run(month_of(activity, 11)).invoices.get(family=lea.family)

    page = page_text(parent_client.get(reverse("facturation:invoices")))

    assert theirs.number not in page
    assert str(theirs.pk) not in page and str(draft.pk) not in page
    mine = Invoice.objects.get(family=lea.family, state="issued")
    assert mine.number in page


def test_the_list_query_count_does_not_grow_with_invoices(
        parent_client, activity, lea, django_assert_max_num_queries):
    first = issued_invoice(activity, lea, month=9)
    pay(first)
    with CaptureQueriesContext(connection) as one:
        parent_client.get(reverse("facturation:invoices"))
    for month in (10, 11, 12):
        pay(issued_invoice(activity, lea, month=month), amount_cents=TOP_PRICE)
    with django_assert_max_num_queries(len(one)):
        response = parent_client.get(reverse("facturation:invoices"))
    assert visible_text(response).count("payée en partie") == 3


# One invoice ---------------------------------------------------------------------------

def test_the_detail_shows_each_line_with_its_dates(parent_client, activity, lea, family):
    hugo = ChildFactory(family=family, first_name="Hugo",
                        birth_date=lea.birth_date + datetime.timedelta(days=400))
    month = month_of(activity, 10)
    wednesdays = weekdays_of(month, 2)
    book(activity, lea, wednesdays)
    book(activity, hugo, wednesdays[:2])
    invoice = bill(month)[family.pk]

    response = parent_client.get(reverse("facturation:invoice", args=[invoice.pk]))

    assert response.status_code == 200
    text = visible_text(response)
    lea_days = ", ".join(french.ordinal_day(d) for d in wednesdays) + " octobre"
    hugo_days = ", ".join(french.ordinal_day(d) for d in wednesdays[:2]) + " octobre"
    assert (f"Léa Mercredis des Tilleuls Journée {lea_days} {len(wednesdays)} "
            f"{euros(TOP_PRICE)} {euros(len(wednesdays) * TOP_PRICE)}") in text
    assert (f"Hugo Mercredis des Tilleuls Journée {hugo_days} 2 "
            f"{euros(TOP_PRICE)} {euros(2 * TOP_PRICE)}") in text
    assert f"Total de la facture {euros((len(wednesdays) + 2) * TOP_PRICE)}" in text
    assert f"à payer avant le {long_date(invoice.due_date)}" in text
    assert f'action="{pay_url(invoice)}"' in page_text(response)


def test_the_first_of_the_month_and_the_communes_name_read_as_french_writes_them(
        parent_client, activity, lea, family):
    """Issue 23, item 13: « 1er, 8 octobre », never « 1, 8 »; « Mairie d'Angers »."""
    update_commune(name="Angers")
    month = month_of(activity, 10)
    first_days = weekdays_of(month, month.weekday())[:2]  # the 1st and the 8th
    book(activity, lea, first_days)
    invoice = bill(month)[family.pk]
    text = visible_text(parent_client.get(reverse("facturation:invoice", args=[invoice.pk])))
    assert f"Léa Mercredis des Tilleuls Journée 1er, 8 octobre 2 {euros(TOP_PRICE)}" in text
    assert "Mairie d'Angers" in text and "Mairie de Angers" not in text
    pdf = pdf_text(render_invoice_pdf_bytes(invoice))
    assert "1er, 8 octobre" in pdf and "1, 8 octobre" not in pdf
    assert "Mairie d'Angers" in pdf and "de Angers" not in pdf


def test_without_stripe_keys_there_is_no_pay_button_but_the_other_ways(
        parent_client, activity, lea, settings):
    settings.STRIPE_SECRET_KEY = ""
    invoice = issued_invoice(activity, lea)
    for url in (reverse("facturation:invoices"),
                reverse("facturation:invoice", args=[invoice.pk])):
        page = page_text(parent_client.get(url))
        assert pay_url(invoice) not in page
        assert "Le paiement en ligne n'est pas encore configuré" in page
        assert reverse("facturation:payment", args=[invoice.pk]) in page


def test_a_paid_invoice_has_no_pay_button(parent_client, activity, lea):
    invoice = issued_invoice(activity, lea)
    pay(invoice)
    response = parent_client.get(reverse("facturation:invoice", args=[invoice.pk]))
    text = visible_text(response)
    assert "payée" in text and f"Reste à payer {euros(0)}" in text
    assert "Chèque" in text
    assert pay_url(invoice) not in page_text(response)


# Ownership ------------------------------------------------------------------------------

@pytest.fixture
def invoices(activity, lea, other_guardian):
    """(the family's issued invoice, another family's, the family's draft)."""
    stranger = ChildFactory(family=other_guardian.family)
    month = month_of(activity, 10)
    book(activity, lea, weekdays_of(month, 2))
    book(activity, stranger, weekdays_of(month, 2))
    issued = bill(month)
    book(activity, lea, weekdays_of(month_of(activity, 11), 2))
    draft = prepare_run(month_of(activity, 11)).invoices.get(family=lea.family)
    return issued[lea.family_id], issued[other_guardian.family_id], draft


@pytest.mark.parametrize("name", ["facturation:invoice", "facturation:invoice_pdf"])
def test_another_familys_invoice_and_a_draft_answer_404(parent_client, invoices, name):
    mine, theirs, draft = invoices
    assert parent_client.get(reverse(name, args=[mine.pk])).status_code == 200
    assert parent_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert parent_client.get(reverse(name, args=[draft.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.pdf  # nothing rendered for a stranger


@pytest.mark.parametrize("name", ["facturation:invoices", "facturation:invoice",
                                  "facturation:invoice_pdf"])
def test_anonymous_visitors_are_sent_to_the_login(client, invoices, name):
    mine, _theirs, _draft = invoices
    url = reverse(name) if name == "facturation:invoices" else reverse(name, args=[mine.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# The PDF download -----------------------------------------------------------------------

def test_the_pdf_is_rendered_at_the_first_download_then_served_as_stored(
        parent_client, activity, lea, monkeypatch):
    invoice = issued_invoice(activity, lea)
    assert not invoice.pdf  # the worker has not run (no on_commit in tests)

    response = parent_client.get(reverse("facturation:invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="facture-{invoice.number}.pdf"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    first = b"".join(response.streaming_content)
    assert first.startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.pdf.storage.exists(invoice.pdf.name)

    def no_render(*_args):
        raise AssertionError("a stored PDF is not rendered again")

    monkeypatch.setattr("facturation.pdf.render_invoice_pdf_bytes", no_render)
    again = parent_client.get(reverse("facturation:invoice_pdf", args=[invoice.pk]))
    assert b"".join(again.streaming_content) == first
