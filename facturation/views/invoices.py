"""Parent pages: « Mes factures », one invoice with its lines, and its PDF. Every invoice is
reached through the family (`queries.family_invoices`): another family's invoice, or a
draft, answers 404."""

from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.views import View

from familles.access import FamilyMixin
from ground.http import or_404

from .. import direct_debit, payment_methods, queries
from ..payment_methods import not_configured_message, online_payment_available
from ..pdf import pdf_filename, store_invoice_pdf
from .downloads import pdf_download


class InvoiceListView(FamilyMixin, View):
    def get(self, request):
        to_pay, settled = queries.split_invoices(self.family, timezone.localdate())
        ways = payment_methods.available(self.family)
        return render(request, "facturation/invoices.html", {
            "family": self.family, "to_pay": to_pay, "settled": settled,
            "debit_offered": direct_debit.offered(),
            "mandate": direct_debit.active_mandate(self.family),
            "credit_notes": queries.family_credit_notes(self.family),
            "ways": ways, "online_payment": ways.online,
        })


class InvoiceDetailView(FamilyMixin, View):
    def get(self, request, pk):
        invoice = or_404(queries.family_invoice, self.family, pk, timezone.localdate())
        return render(request, "facturation/invoice.html", {
            "family": self.family, "invoice": invoice, **queries.invoice_context(invoice),
            "debit": direct_debit.upcoming_debit(invoice, self.family),
            "online_payment": online_payment_available(),
            "not_configured": not_configured_message(),
        })


class InvoicePdfView(FamilyMixin, View):
    def get(self, request, pk):
        invoice = get_object_or_404(queries.family_invoices(self.family), pk=pk)
        return pdf_download(invoice, store_invoice_pdf, pdf_filename(invoice))


urlpatterns = [
    path("factures/", InvoiceListView.as_view(), name="invoices"),
    path("factures/<uuid:pk>/", InvoiceDetailView.as_view(), name="invoice"),
    path("factures/<uuid:pk>/pdf/", InvoicePdfView.as_view(), name="invoice_pdf"),
]
