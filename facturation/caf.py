"""The CAF's hours (prestation de service ALSH and périscolaire), for a month or a calendar
year, per activity, age band (under 6 / 6 and over, on the day) and régime (CAF / MSA /
other, from the child's dossier administratif of the activity's school year):

- hours billed (« facturées »): each day of a line of an issued invoice that no credit note
  cancelled, times its unit's duration (a corrective invoice replaces the cancelled one);
- hours attended (« réalisées »): each presence of the registers, times its unit's duration,
  or for care the recorded times when the commune declares real hours (facturation/hours.py);
- distinct children, and the taux de réalisation (attended ÷ billed).
The canteen is not childcare: it is left out. Three queries, whatever the period's length."""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from ground.calendar import month_end, previous_month
from ground.spreadsheets import safe_cell
from inscriptions.models import AnnualFile
from reservations.models import Attendance

from .exports import XLSX_TYPE, MonthField
from .hours import presence_hours
from .models import Invoice, InvoiceLine
from .services.attestations import CHILDCARE_KINDS

UNDER_SIX, SIX_AND_OVER = "under_6", "6_and_over"
BANDS = {UNDER_SIX: gettext_lazy("Moins de 6 ans"), SIX_AND_OVER: gettext_lazy("6 ans et plus")}
REGIMES = {AnnualFile.AllowanceBody.CAF: gettext_lazy("CAF"),
           AnnualFile.AllowanceBody.MSA: gettext_lazy("MSA"),
           "other": gettext_lazy("Autre")}


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass
class Row:
    activity: str
    band: str
    regime: str
    billed: Decimal = Decimal("0")
    attended: Decimal = Decimal("0")
    children: set = field(default_factory=set)

    @property
    def rate(self) -> Decimal | None:
        """Attended ÷ billed, in percent to one decimal (None when nothing was billed)."""
        if not self.billed:
            return None
        return (self.attended * 100 / self.billed).quantize(Decimal("0.1"))

    @property
    def band_label(self) -> str:
        return str(BANDS.get(self.band, self.band))

    @property
    def regime_label(self) -> str:
        return str(REGIMES.get(self.regime, self.regime))


def _regimes(keys) -> dict:
    files = AnnualFile.objects.filter(
        child_id__in={c for c, _y in keys}, school_year_id__in={y for _c, y in keys},
    ).values_list("child_id", "school_year_id", "allowance_body")
    return {(child, year): body for child, year, body in files}


def caf_hours(first: datetime.date, last: datetime.date) -> list[Row]:
    """The rows between two days (inclusive), by activity, band and régime, then per
    activity a total row (band and régime "") and a grand total (activity "")."""
    facts = []  # (child, birth, activity name, school year, day, billed, attended)
    lines = InvoiceLine.objects.filter(
        invoice__state=Invoice.State.ISSUED, invoice__credit_notes__isnull=True,
        invoice__month__range=(first.replace(day=1), last),
        activity__kind__in=CHILDCARE_KINDS,
    ).values_list("child_id", "child__birth_date", "activity__name",
                  "activity__school_year_id", "unit__duration_hours", "dates")
    for child, birth, activity, year, hours, dates in lines:
        for iso in dates:
            day = datetime.date.fromisoformat(iso)
            if first <= day <= last:
                facts.append((child, birth, activity, year, day, hours, Decimal("0")))
    presences = Attendance.objects.filter(
        date__range=(first, last), status=Attendance.Status.PRESENT,
        activity__kind__in=CHILDCARE_KINDS,
    ).values_list("child_id", "child__birth_date", "activity__name",
                  "activity__school_year_id", "date", "activity__kind",
                  "unit__duration_hours", "arrived_at", "left_at")
    for child, birth, activity, year, day, kind, hours, arrived, left in presences:
        facts.append((child, birth, activity, year, day, Decimal("0"),
                      presence_hours(kind, hours, arrived, left)))
    regimes = _regimes({(f[0], f[3]) for f in facts})
    rows: dict[tuple, Row] = {}
    for child, birth, activity, year, day, billed, attended in facts:
        band = UNDER_SIX if age_on(birth, day) < 6 else SIX_AND_OVER
        regime = regimes.get((child, year), "other")
        regime = regime if regime in REGIMES else "other"
        for key in ((activity, band, regime), (activity, "", ""), ("", "", "")):
            row = rows.setdefault(key, Row(*key))
            row.billed += billed
            row.attended += attended
            row.children.add(child)
    order = {UNDER_SIX: 0, SIX_AND_OVER: 1, "": 2}
    regime_order = {AnnualFile.AllowanceBody.CAF: 0, AnnualFile.AllowanceBody.MSA: 1,
                    "other": 2, "": 3}
    return sorted(rows.values(), key=lambda r: (r.activity == "", r.activity,
                                                order[r.band], regime_order[r.regime]))


class CafExportForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Période"), initial="month", widget=forms.RadioSelect,
        choices=[("month", gettext_lazy("Un mois")), ("year", gettext_lazy("Une année civile"))])
    month = MonthField(label=gettext_lazy("Mois"), initial=previous_month, required=False,
                       help_text=gettext_lazy("Par exemple 03/2027 (pour un mois)."))
    year = forms.IntegerField(label=gettext_lazy("Année"), required=False, min_value=2000,
                              help_text=gettext_lazy("Par exemple 2026 (pour une année)."))
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"), initial="xlsx", widget=forms.RadioSelect,
        choices=[("xlsx", gettext_lazy("Tableur (XLSX)")),
                 ("csv", gettext_lazy("CSV (séparateur point-virgule, UTF-8)"))])

    def clean(self):
        data = super().clean()
        if data.get("period") == "month" and not data.get("month"):
            self.add_error("month", _("Indiquez le mois."))
        if data.get("period") == "year" and not data.get("year"):
            self.add_error("year", _("Indiquez l'année."))
        return data

    def bounds(self) -> tuple[datetime.date, datetime.date, str]:
        """(first day, last day, the name of the file's period)."""
        data = self.cleaned_data
        if data["period"] == "year":
            year = data["year"]
            return datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year)
        first = data["month"]
        last = month_end(first)
        return first, last, f"{first:%Y-%m}"


def headers() -> list[str]:
    return [_("Activité"), _("Tranche d'âge"), _("Régime"), _("Enfants distincts"),
            _("Heures facturées"), _("Heures réalisées"), _("Taux de réalisation (%)")]


def _cells(row: Row) -> list:
    return [safe_cell(row.activity or _("Total")), row.band_label if row.band else
            (_("Total") if row.activity else ""), row.regime_label if row.regime else "",
            len(row.children), row.billed, row.attended, row.rate]


def caf_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    for row in rows:
        writer.writerow(["" if v is None else str(v).replace(".", ",")
                         if isinstance(v, Decimal) else v for v in _cells(row)])
    return "\ufeff" + out.getvalue()


def caf_xlsx(rows, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_cells(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
    for column, width in zip("ABCDEFG", (34, 16, 10, 10, 12, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_response(form: CafExportForm) -> HttpResponse:
    first, last, name = form.bounds()
    rows = caf_hours(first, last)
    if form.cleaned_data["file_format"] == "csv":
        response = HttpResponse(caf_csv(rows), content_type="text/csv; charset=utf-8")
        filename = f"heures-caf-{name}.csv"
    else:
        response = HttpResponse(caf_xlsx(rows, _("Heures CAF %(period)s") % {"period": name}),
                                content_type=XLSX_TYPE)
        filename = f"heures-caf-{name}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
