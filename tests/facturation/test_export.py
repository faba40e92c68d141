"""The treasury's export of a month's issued invoices, as CSV (semicolons, UTF-8 with a BOM,
as French spreadsheets read it) and XLSX: number, issue date, family, total, paid, credited,
balance and due date, amounts in euros with two decimals computed from the cents."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from facturation.models import CreditNote, Invoice, Payment
from tests.helpers import page_text
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.billing import BillingRunFactory, InvoiceFactory
from tests.scenarios.families import FamilyFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
EXPORT = reverse("admin:facturation_invoice_export")
ISSUED_AT = datetime.datetime(2031, 4, 2, 15, 30, tzinfo=PARIS)
MONTH = datetime.date(2031, 3, 1)
HEADERS = ["Numéro", "Date d'émission", "Famille", "Total (€)", "Payé (€)", "Avoirs (€)",
           "Reste à payer (€)", "À payer avant le"]


@pytest.fixture
def march():
    """March's issued invoices: one partly paid (with a payment to refund that pays
    nothing), one cancelled by a credit note, one large; plus what must stay out: a draft
    of March and an invoice of February."""
    run = BillingRunFactory(issued=True, month=MONTH)
    due = datetime.date(2031, 5, 2)

    def issued(number, family_name, total):
        return InvoiceFactory(issued=True, run=run, month=MONTH, number=number,
                              total_cents=total, issued_at=ISSUED_AT, due_date=due,
                              family=FamilyFactory(name=family_name))

    partly = issued("2031-000002", "Famille Le Bihan", 4250)
    Payment.objects.create(invoice=partly, method=Payment.Method.CHEQUE, amount_cents=1005,
                           received_at=ISSUED_AT)
    Payment.objects.create(invoice=partly, method=Payment.Method.CARD, amount_cents=4250,
                           received_at=ISSUED_AT, flagged_for_refund=True)
    cancelled = issued("2031-000001", "=HYPERLINK(\"http://x\")", 1999)
    Payment.objects.create(invoice=cancelled, method=Payment.Method.CASH, amount_cents=500,
                           received_at=ISSUED_AT)
    CreditNote.objects.create(invoice=cancelled, number="AV-2031-000001", amount_cents=1999,
                              reason="Recalcul", issued_at=ISSUED_AT)
    # Its corrective invoice: what was paid on the cancelled one is carried there.
    corrective = issued("2031-000004", "Famille Corrigée", 1500)
    Payment.objects.create(invoice=corrective, carried_from=cancelled,
                           method=Payment.Method.CARRIED, amount_cents=500,
                           received_at=ISSUED_AT, reference=cancelled.number)
    issued("2031-000003", "Famille Quéméner", 123456)
    InvoiceFactory(run=BillingRunFactory(month=MONTH), month=MONTH,
                   family=FamilyFactory(name="Famille Brouillon"))
    InvoiceFactory(issued=True, run=BillingRunFactory(issued=True, month=datetime.date(
        2031, 2, 1)), month=datetime.date(2031, 2, 1), family=FamilyFactory(
        name="Famille Février"))
    return run


def download(file_format):
    with time_machine.travel(ISSUED_AT, tick=False):
        response = login(StaffFactory()).post(EXPORT, {"month": "2031-03",
                                                       "file_format": file_format})
    assert response.status_code == 200
    return response


EXPECTED = [
    ["2031-000001", "02/04/2031", "'=HYPERLINK(\"http://x\")", "19,99", "0,00", "19,99",
     "0,00", "02/05/2031"],
    ["2031-000002", "02/04/2031", "Famille Le Bihan", "42,50", "10,05", "0,00", "32,45",
     "02/05/2031"],
    ["2031-000003", "02/04/2031", "Famille Quéméner", "1234,56", "0,00", "0,00", "1234,56",
     "02/05/2031"],
    ["2031-000004", "02/04/2031", "Famille Corrigée", "15,00", "5,00", "0,00", "10,00",
     "02/05/2031"],
]


def test_csv_for_the_treasury(march):
    response = download("csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="factures-2031-03.csv"' in response["Content-Disposition"]
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:]), delimiter=";"))
    assert rows == [HEADERS, *EXPECTED]


def test_xlsx_for_the_treasury(march):
    response = download("xlsx")
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="factures-2031-03.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    read = [[
        value.strftime("%d/%m/%Y") if isinstance(value, datetime.datetime)
        else f"{Decimal(str(value)):.2f}".replace(".", ",") if isinstance(value, int | float)
        else value for value in row] for row in rows[1:]]
    assert read == EXPECTED
    # Amounts are numbers the treasury can add up, shown with two decimals.
    amount = sheet.cell(row=3, column=7)
    assert isinstance(amount.value, int | float) and amount.number_format == "0.00"
    assert sheet.cell(row=3, column=2).is_date


def test_the_export_page_and_its_checks():
    with time_machine.travel(ISSUED_AT, tick=False):
        client = login(StaffFactory())
        page = client.get(EXPORT)
        assert page.status_code == 200
        assert 'value="2031-03"' in page_text(page)  # the month just ended is proposed
        assert EXPORT in page_text(client.get(reverse("admin:facturation_invoice_changelist")))
        bad = client.post(EXPORT, {"month": "mars", "file_format": "csv"})
        assert bad.status_code == 400

        nobody = staff_without("view_invoice")
        assert login(nobody).post(EXPORT, {"month": "2031-03", "file_format": "csv"}
                                  ).status_code == 403


def test_a_month_without_invoices_gives_the_headers_only():
    response = download("csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:]), delimiter=";"))
    assert rows == [HEADERS]


def test_balances_in_sql_match_the_model(march):
    # A payment's money is counted once: on the cancelled invoice it was carried away from,
    # it no longer counts as paid; on the corrective invoice it does.
    annotated = {i.pk: (i.paid_sum, i.balance)
                 for i in Invoice.objects.filter(state=Invoice.State.ISSUED).with_balances()}
    for invoice in Invoice.objects.filter(state=Invoice.State.ISSUED):
        assert annotated[invoice.pk][1] == invoice.balance_cents()
    total_cash = sum(Payment.objects.filter(flagged_for_refund=False).exclude(
        method=Payment.Method.CARRIED).values_list("amount_cents", flat=True))
    assert sum(paid for paid, _balance in annotated.values()) == total_cash
