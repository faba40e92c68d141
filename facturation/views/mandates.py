"""The parent's direct-debit mandate, from « Mes factures »: sign it online, print it, revoke
it (after a confirmation). Always the requesting parent's own household's mandate."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from familles.access import FamilyMixin
from ground.commune import commune

from .. import direct_debit
from ..forms import MandateForm, add_service_errors
from ..mandate_pdf import mandate_pdf_bytes
from ..services import direct_debit as debit_services


def _page(request, family, form, status=200):
    return render(request, "facturation/mandate.html", {
        "family": family, "form": form, "mandate": direct_debit.active_mandate(family),
        "offered": direct_debit.offered(), "town": commune(),
    }, status=status)


class MandateView(FamilyMixin, View):
    def get(self, request):
        return _page(request, self.family, MandateForm())

    def post(self, request):
        form = MandateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                debit_services.sign_mandate(
                    self.family, request.user, iban=data["iban"], bic=data["bic"],
                    holder_name=data["holder_name"], consent=data["consent"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Votre mandat de prélèvement est signé. Vos "
                                            "factures seront prélevées à la date annoncée sur "
                                            "chacune."))
                return redirect("facturation:mandate")
        return _page(request, self.family, form, status=400)


class MandateRevokeView(FamilyMixin, View):
    def get(self, request):
        mandate = direct_debit.active_mandate(self.family)
        if mandate is None:
            return redirect("facturation:mandate")
        return render(request, "facturation/mandate_revoke.html", {"mandate": mandate})

    def post(self, request):
        try:
            debit_services.revoke_mandate(self.family, request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Votre mandat est révoqué : plus aucune facture ne "
                                        "sera prélevée. Payez les prochaines depuis « Mes "
                                        "factures »."))
        return redirect("facturation:mandate")


class MandatePdfView(FamilyMixin, View):
    def get(self, request):
        mandate = direct_debit.active_mandate(self.family)
        if mandate is None:
            raise Http404
        response = HttpResponse(mandate_pdf_bytes(mandate), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="mandat-{mandate.reference}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("factures/prelevement/", MandateView.as_view(), name="mandate"),
    path("factures/prelevement/revoquer/", MandateRevokeView.as_view(), name="mandate_revoke"),
    path("factures/prelevement/mandat.pdf", MandatePdfView.as_view(), name="mandate_pdf"),
]
