"""Parent pages: « Mes attestations » (list, ask for one, download its PDF), and the public
page where anyone shown an attestation checks it with its verification code.

Every attestation is reached through the family (`queries.family_attestation`): another
household's, or a draft, answers 404. The public page shows only the number, the kind, the
issue date and the holder household's name, and whether a newer version replaced it."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views import View

from familles.access import FamilyMixin
from familles.models import Child
from ground.forms import form_error
from ground.http import or_404

from .. import queries
from ..attestation_pdf import pdf_filename, store_attestation_pdf
from ..forms import PresenceForm, VerifyForm, YearForm
from ..models import Attestation
from ..services.attestations import request_attestation
from .downloads import pdf_download


class AttestationListView(FamilyMixin, View):
    def forms(self, data=None, kind=None):
        years = queries.payment_years(self.family, timezone.localdate())
        children = Child.objects.for_family(self.family).order_by("birth_date")
        return {
            "fiscal_form": YearForm(years, data if kind == "fiscal" else None, prefix="fiscal"),
            "payments_form": YearForm(years, data if kind == "payments" else None,
                                      prefix="payments"),
            "presence_form": PresenceForm(children, data if kind == "presence" else None,
                                          prefix="presence"),
            "years": years, "children": children,
        }

    def render(self, request, forms, status=200):
        return render(request, "facturation/attestations.html", {
            "family": self.family, "attestations": queries.family_attestations(self.family),
            **forms}, status=status)

    def get(self, request):
        return self.render(request, self.forms())

    def post(self, request):
        kind = request.POST.get("kind")
        if kind not in Attestation.Kind.values:
            raise Http404
        forms = self.forms(request.POST, kind)
        form = forms[f"{kind}_form"]
        if form.is_valid():
            data = form.cleaned_data
            try:
                attestation = request_attestation(
                    self.family, kind, user=request.user, year=data.get("year"),
                    child_id=data.get("child"), first=data.get("first"), last=data.get("last"))
            except ValidationError as exc:
                form_error(form, exc)
            else:
                return redirect("facturation:attestation_pdf", attestation.pk)
        return self.render(request, forms, status=400)


class AttestationPdfView(FamilyMixin, View):
    def get(self, request, pk):
        attestation = or_404(queries.family_attestation, self.family, pk)
        return pdf_download(attestation, store_attestation_pdf, pdf_filename(attestation))


def verify(request):
    """Public: is this attestation genuine? (The code is about 128 random bits.)"""
    form = VerifyForm(request.GET or None)
    attestation, status = None, 200
    if form.is_valid():
        attestation = queries.verified_attestation(form.cleaned_data["code"])
        if attestation is None:
            status = 404
    response = render(request, "facturation/attestation_verify.html", {
        "form": form, "attestation": attestation, "searched": form.is_bound,
        "replaced": getattr(attestation, "replaced_by", None) if attestation else None,
    }, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path("attestations/", AttestationListView.as_view(), name="attestations"),
    path("attestations/<uuid:pk>/pdf/", AttestationPdfView.as_view(), name="attestation_pdf"),
    path("attestations/verifier/", verify, name="attestation_verify"),
]
