"""What the treasury reads: each invoice's balance computed by the database, and a month's
issued invoices as CSV or XLSX.

Amounts leave the portal in euros with two decimals, computed from the integer cents with
`Decimal` (never a float): "12,34" in the CSV (French spreadsheets read a comma), a number
cell in the XLSX."""

import csv
import io
from decimal import Decimal

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from ground.calendar import previous_month
from ground.spreadsheets import safe_cell

from .models import Invoice

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def to_euros(cents: int) -> Decimal:
    """1234 → Decimal("12.34"), exactly."""
    return Decimal(cents).scaleb(-2).quantize(Decimal("0.01"))


class MonthField(forms.DateField):
    """A month (`<input type="month">`, or typed "03/2027"): the first day of that month."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%m/%Y"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class InvoiceExportForm(forms.Form):
    month = MonthField(label=gettext_lazy("Mois facturé"), initial=previous_month,
                       help_text=gettext_lazy("Par exemple 03/2027."))
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"), initial="xlsx", widget=forms.RadioSelect,
        choices=[("xlsx", gettext_lazy("Tableur (XLSX)")),
                 ("csv", gettext_lazy("CSV (séparateur point-virgule, UTF-8)"))])


def headers() -> list[str]:
    return [_("Numéro"), _("Date d'émission"), _("Famille"), _("Total (€)"), _("Payé (€)"),
            _("Avoirs (€)"), _("Reste à payer (€)"), _("À payer avant le")]


def month_invoices(month):
    """The month's issued invoices, by number, with their balances."""
    return list(Invoice.objects.filter(
        month=month.replace(day=1), state=Invoice.State.ISSUED).with_balances().select_related(
        "family").order_by("number"))


def _row(invoice) -> list:
    return [invoice.number, timezone.localdate(invoice.issued_at), safe_cell(invoice.family.name),
            to_euros(invoice.total_cents), to_euros(invoice.paid_sum),
            to_euros(invoice.credited_sum), to_euros(invoice.balance), invoice.due_date]


def invoices_csv(month) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    for invoice in month_invoices(month):
        writer.writerow([
            f"{value:%d/%m/%Y}" if hasattr(value, "strftime")
            else str(value).replace(".", ",") if isinstance(value, Decimal) else value
            for value in _row(invoice)])
    # Excel in French reads semicolons, and UTF-8 only with a byte-order mark.
    return "\ufeff" + out.getvalue()


def invoices_xlsx(month) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Factures %(month)s") % {"month": f"{month:%m-%Y}"}
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for invoice in month_invoices(month):
        sheet.append(_row(invoice))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
            elif hasattr(cell.value, "strftime"):
                cell.number_format = "DD/MM/YYYY"
    for column, width in zip("ABCDEFGH", (14, 14, 30, 10, 10, 10, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_response(month, file_format: str) -> HttpResponse:
    name = f"factures-{month:%Y-%m}"
    if file_format == "csv":
        response = HttpResponse(invoices_csv(month), content_type="text/csv; charset=utf-8")
        filename = f"{name}.csv"
    else:
        response = HttpResponse(invoices_xlsx(month), content_type=XLSX_TYPE)
        filename = f"{name}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

