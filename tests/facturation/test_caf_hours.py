"""The CAF's hours, checked against a small month counted by hand (March 2025).

Units: Wednesdays « Journée » 8 h; care « Matin » 1 h, « Soir » 2 h 30.
- Ana (born 20 March 2020: 4 then 5, under 6 all month), régime CAF: billed the four
  Wednesdays (5, 12, 19, 26) = 32 h; present on three, absent on the 26th = 24 h.
- Ben (born 15 March 2019: 6 on the 15th), régime MSA: billed 12 and 19 March, present on
  both: the 12th counts under 6 (8 h), the 19th 6 and over (8 h).
- Cléo (born 2016), no dossier: régime « Autre ». Billed Wednesdays 5 and 12 = 16 h, present
  on the 5th = 8 h; a cancelled invoice (credit note) also billed her the 26th: not counted.
  Care: billed « Soir » on Thursday 6 and « Matin » on Friday 7 = 3 h 30; present 16:30–18:15
  on the 6th (1 h 45 in real hours, 2 h 30 in unit hours) and on the 7th without times (1 h).
- Ana's canteen meal on the 5th, billed and present, is no childcare: left out.
- An April Wednesday billed and attended by Ana is outside the month.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from facturation.caf import caf_hours
from facturation.models import CreditNote, InvoiceLine
from ground.commune import update_commune
from inscriptions.models import AnnualFile
from tests.scenarios.accounts import login, staff_without
from tests.scenarios.attestations import YEAR, catalogue, issued, present
from tests.scenarios.enrolments import AnnualFileFactory
from tests.scenarios.families import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db

MARCH = [datetime.date(YEAR, 3, d) for d in (5, 12, 19, 26)]
THU, FRI = datetime.date(YEAR, 3, 6), datetime.date(YEAR, 3, 7)


def bill(family, month, entries):
    """An issued invoice whose lines carry their days (price 1 € a unit)."""
    invoice = issued(family, [(c, u, len(days), 100) for c, u, days in entries], month)
    for (_child, _unit, days), row in zip(entries, invoice.lines.order_by("pk"), strict=True):
        InvoiceLine.objects.filter(pk=row.pk).update(dates=[d.isoformat() for d in days])
    return invoice


@pytest.fixture
def month(db):
    cat = catalogue()
    family = FamilyFactory()
    ana = ChildFactory(family=family, first_name="Ana", birth_date=datetime.date(2020, 3, 20))
    ben = ChildFactory(family=family, first_name="Ben", birth_date=datetime.date(2019, 3, 15))
    cleo = ChildFactory(family=family, first_name="Cléo", birth_date=datetime.date(2016, 5, 5))
    year = cat.alsh.school_year
    AnnualFileFactory(child=ana, school_year=year, allowance_body=AnnualFile.AllowanceBody.CAF)
    AnnualFileFactory(child=ben, school_year=year, allowance_body=AnnualFile.AllowanceBody.MSA)

    bill(family, 3, [(ana, cat.day, MARCH), (ben, cat.day, MARCH[1:3]),
                     (cleo, cat.day, MARCH[:2]), (cleo, cat.evening, [THU]),
                     (cleo, cat.morning, [FRI]), (ana, cat.meal, [MARCH[0]])])
    cancelled = bill(family, 3, [(cleo, cat.day, [MARCH[3]])])
    CreditNote.objects.create(invoice=cancelled, number="AV-T-9", amount_cents=100,
                              reason="erreur", issued_at=cancelled.issued_at)
    april = datetime.date(YEAR, 4, 2)
    bill(family, 4, [(ana, cat.day, [april])])

    for day in MARCH[:3]:
        present(ana, cat.day, day)
    present(ana, cat.day, MARCH[3], status="absent")
    present(ben, cat.day, MARCH[1])
    present(ben, cat.day, MARCH[2])
    present(cleo, cat.day, MARCH[0])
    present(cleo, cat.evening, THU, datetime.time(16, 30), datetime.time(18, 15))
    present(cleo, cat.morning, FRI)
    present(ana, cat.meal, MARCH[0])
    present(ana, cat.day, april)
    return cat


def table(rows):
    return [(r.activity, r.band, r.regime, len(r.children), r.billed, r.attended, r.rate)
            for r in rows]


D = Decimal


def test_a_hand_counted_month_in_real_care_hours(month, settings):
    update_commune(caf_care_hours="real")

    rows = caf_hours(datetime.date(YEAR, 3, 1), datetime.date(YEAR, 3, 31))

    assert table(rows) == [
        ("Mercredis", "under_6", "caf", 1, D("32"), D("24"), D("75.0")),
        ("Mercredis", "under_6", "msa", 1, D("8"), D("8"), D("100.0")),
        ("Mercredis", "6_and_over", "msa", 1, D("8"), D("8"), D("100.0")),
        ("Mercredis", "6_and_over", "other", 1, D("16"), D("8"), D("50.0")),
        ("Mercredis", "", "", 3, D("64"), D("48"), D("75.0")),
        ("Périscolaire", "6_and_over", "other", 1, D("3.5"), D("2.75"), D("78.6")),
        ("Périscolaire", "", "", 1, D("3.5"), D("2.75"), D("78.6")),
        ("", "", "", 3, D("67.5"), D("50.75"), D("75.2")),
    ]


def test_unit_hours_count_each_care_presence_at_its_units_length(month, settings):
    update_commune(caf_care_hours="units")

    rows = caf_hours(datetime.date(YEAR, 3, 1), datetime.date(YEAR, 3, 31))

    care = [r for r in rows if r.activity == "Périscolaire" and not r.band]
    assert (care[0].billed, care[0].attended, care[0].rate) == (D("3.5"), D("3.5"), D("100.0"))


def test_staff_download_the_month_as_csv_and_the_year_as_xlsx(month, staff_client, settings):
    update_commune(caf_care_hours="real")
    url = reverse("admin:facturation_invoice_caf")
    assert staff_client.get(url).status_code == 200

    response = staff_client.post(url, {"period": "month", "month": f"{YEAR}-03",
                                       "file_format": "csv"})

    assert response["Content-Disposition"] == f'attachment; filename="heures-caf-{YEAR}-03.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Activité", "Tranche d'âge", "Régime", "Enfants distincts",
                       "Heures facturées", "Heures réalisées", "Taux de réalisation (%)"]
    assert ["Mercredis", "Moins de 6 ans", "CAF", "1", "32,00", "24,00", "75,0"] in rows
    assert ["Mercredis", "6 ans et plus", "Autre", "1", "16,00", "8,00", "50,0"] in rows
    assert rows[-1] == ["Total", "", "", "3", "67,50", "50,75", "75,2"]

    response = staff_client.post(url, {"period": "year", "year": YEAR, "file_format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    last = [cell.value for cell in sheet[sheet.max_row]]
    # The year adds Ana's April Wednesday: 8 h billed and attended.
    assert last == ["Total", None, None, 3, 75.5, 58.75, 77.8]

    missing = staff_client.post(url, {"period": "year", "file_format": "csv"})
    assert missing.status_code == 400 and "Indiquez l&#x27;année." in missing.content.decode()


def test_the_hours_need_both_the_invoices_and_the_registers_permissions(month):
    """The figures come from invoices and registers: staff allowed to read only one of them
    get neither the page nor the file."""
    url = reverse("admin:facturation_invoice_caf")
    asked = {"period": "month", "month": f"{YEAR}-03", "file_format": "csv"}
    for missing in ("view_attendance", "view_invoice"):
        client = login(staff_without(missing))
        assert client.get(url).status_code == 403
        response = client.post(url, asked)
        assert response.status_code == 403 and b"Mercredis" not in response.content
