"""The invoice PDF (WeasyPrint): the commune's header and contacts, the family, the number,
dates, each line with its days, the totals, credit notes, the due date and how to pay;
stored once in the private storage, for issued invoices only."""

import datetime

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from facturation.models import Invoice, euros
from facturation.pdf import render_invoice_pdf_bytes, store_invoice_pdf
from facturation.services.billing import prepare_run
from facturation.tasks import render_invoice_pdf
from ground import french
from ground.commune import commune
from tests.helpers import pdf_text
from tests.scenarios.billing import (
    TARIFF,
    bill,
    book,
    give_qf,
    month_of,
    pay,
    priced_activity,
    weekdays_of,
)
from tests.scenarios.families import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db

LOW_PRICE = TARIFF[0][1]


def days_text(days) -> str:
    return ", ".join(french.ordinal_day(d) for d in days) + " " + date_format(days[0], "F")


@pytest.fixture
def activity(db):
    return priced_activity(name="Mercredis des Tilleuls")


@pytest.fixture
def family(db):
    family = FamilyFactory(name="Famille Le Goff", address="12 rue des Mouettes",
                           postal_code="56000", city="Kerbrume")
    GuardianFactory(family=family)
    give_qf(family, TARIFF[0][0])  # the lowest bracket
    return family


def test_the_pdf_holds_header_family_lines_totals_due_date_and_how_to_pay(activity, family):
    lea = ChildFactory(family=family, first_name="Léa", last_name="Le Goff")
    hugo = ChildFactory(family=family, first_name="Hugo", last_name="Le Goff",
                        birth_date=lea.birth_date + datetime.timedelta(days=500))
    month = month_of(activity, 10)
    wednesdays = weekdays_of(month, 2)
    book(activity, lea, wednesdays)
    book(activity, hugo, wednesdays[1:3])
    invoice = bill(month)[family.pk]

    text = pdf_text(render_invoice_pdf_bytes(invoice))

    town = commune()
    for value in (town.name, town.service_name, town.postal_address,
                  town.service_phone, town.service_email):
        assert value in text
    assert "Famille Le Goff" in text and "12 rue des Mouettes" in text
    assert "56000 Kerbrume" in text
    assert f"Facture n° {invoice.number}" in text
    # The commune's date, which is not UTC's between midnight and 1 or 2 a.m.
    issued = timezone.localtime(invoice.issued_at)
    assert f"Émise le {french.format_day(issued, 'j F Y')}" in text
    assert f"période facturée : {date_format(month, 'F Y')}" in text
    assert (f"Léa Le Goff Mercredis des Tilleuls Journée {days_text(wednesdays)} "
            f"{len(wednesdays)} {euros(LOW_PRICE)} {euros(len(wednesdays) * LOW_PRICE)}") in text
    assert (f"Hugo Le Goff Mercredis des Tilleuls Journée {days_text(wednesdays[1:3])} 2 "
            f"{euros(LOW_PRICE)} {euros(2 * LOW_PRICE)}") in text
    total = (len(wednesdays) + 2) * LOW_PRICE
    assert f"Total de la facture {euros(total)}" in text
    assert f"{euros(total)}" in text.split("Reste à payer")[1][:40]
    assert f"À payer avant le {french.format_day(invoice.due_date, 'j F Y')}" in text
    # No Stripe keys in the test settings: no « Payer » button is promised (issue 23).
    assert "« Payer »" not in text and "carte bancaire" not in text
    assert f"« Régie {town.service_name} – Mairie {french.de(town.name)} »" in text
    assert "CESU" in text and "virement" in text


def test_a_corrective_invoice_names_what_it_replaces_and_the_credit_note(activity, family):
    lea = ChildFactory(family=family, first_name="Léa")
    month = month_of(activity, 10)
    wednesdays = weekdays_of(month, 2)
    book(activity, lea, wednesdays[:-1])
    first = bill(month)[family.pk]
    pay(first, amount_cents=LOW_PRICE)
    book(activity, lea, wednesdays[-1:])  # booked after issue
    corrective = bill(month)[family.pk]
    note = first.credit_notes.get()

    corrective_text = pdf_text(render_invoice_pdf_bytes(corrective))
    assert f"remplace la facture {first.number}" in corrective_text
    assert note.number in corrective_text
    assert f"Total de la facture {euros(len(wednesdays) * LOW_PRICE)}" in corrective_text

    first_text = pdf_text(render_invoice_pdf_bytes(first))  # as it would be rendered today
    assert f"Avoir {note.number}" in first_text
    assert f"− {euros(first.total_cents)}" in first_text
    assert f"Déjà réglé − {euros(LOW_PRICE)}" in first_text


def test_stored_once_in_the_private_storage_and_safe_to_run_twice(activity, family, settings,
                                                                  monkeypatch):
    lea = ChildFactory(family=family)
    month = month_of(activity, 10)
    book(activity, lea, weekdays_of(month, 2))
    invoice = bill(month)[family.pk]

    render_invoice_pdf(str(invoice.pk))  # the Celery task, run in the worker after commit

    invoice.refresh_from_db()
    path = invoice.pdf.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert invoice.pdf.name.endswith(f"facture-{invoice.number}.pdf")
    with invoice.pdf.open("rb") as handle:
        stored = handle.read()
    assert f"Facture n° {invoice.number}" in pdf_text(stored)

    def no_render(*_args):
        raise AssertionError("rendered again")

    monkeypatch.setattr("facturation.pdf.render_invoice_pdf_bytes", no_render)
    store_invoice_pdf(invoice.pk)
    render_invoice_pdf(str(invoice.pk))
    invoice.refresh_from_db()
    assert invoice.pdf.path == path
    files = list((settings.PRIVATE_MEDIA_ROOT / "factures").rglob("*.pdf"))
    assert files == [settings.PRIVATE_MEDIA_ROOT / invoice.pdf.name]


def test_a_draft_gets_no_pdf(activity, family):
    lea = ChildFactory(family=family)
    month = month_of(activity, 10)
    book(activity, lea, weekdays_of(month, 2))
    draft = prepare_run(month).invoices.get()

    assert store_invoice_pdf(draft.pk) is None
    render_invoice_pdf(str(draft.pk))

    draft.refresh_from_db()
    assert draft.state == Invoice.State.DRAFT and not draft.pdf
    assert not (draft.pdf.storage.exists("factures"))
