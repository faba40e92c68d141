"""The pages of an online attempt, whatever the provider: where the parent comes back (it
only shows the attempt's state), PayFiP's notification (which only names an operation:
the portal asks PayFiP itself), and the demonstration provider's « bank »."""

import logging
import re

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from familles.access import FamilyMixin
from ground.http import or_404

from .. import providers, queries
from ..models import PaymentAttempt
from ..providers.demo import CHOICES as DEMO_CHOICES
from ..services import online
from .payments import invoice_context

logger = logging.getLogger(__name__)
# What an idOp looks like (PayFiP gives UUIDs); anything else names no operation of ours.
IDOP = re.compile(r"[A-Za-z0-9-]{1,64}")


@method_decorator(csrf_exempt, name="dispatch")
class AttemptReturnView(FamilyMixin, View):
    """Back from the provider: the attempt's state as recorded, nothing written. PayFiP may
    send the browser back with a cross-site POST, which carries no session cookie: it is
    answered by a redirect to the same page, which the browser then asks with its cookie
    (a POST with the session is answered as a GET)."""

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not request.user.is_authenticated:
            return HttpResponseRedirect(request.path, status=303)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, invoice_pk, attempt_pk):
        return self.get(request, invoice_pk, attempt_pk)

    def get(self, request, invoice_pk, attempt_pk):
        invoice = or_404(queries.family_invoice, self.family, invoice_pk, timezone.localdate())
        attempt = or_404(online.family_attempt, self.family, attempt_pk)
        if attempt.invoice_id != invoice.pk:
            raise Http404
        return render(request, "facturation/attempt_return.html",
                      {**invoice_context(invoice), "attempt": attempt, "states": online.State})


@csrf_exempt
@require_POST
def payfip_notification(request):
    """PayFiP's server posts « idOp=… » once the parent has acted. Believed only as a
    reason to ask PayFiP for the operation's detail (services.online.refresh)."""
    idop = (request.POST.get("idOp") or request.POST.get("idop") or "").strip()
    attempt = PaymentAttempt.objects.filter(
        provider=PaymentAttempt.Provider.PAYFIP, provider_reference=idop).first() if (
        IDOP.fullmatch(idop)) else None
    if attempt is None:
        logger.warning("PayFiP notification for an unknown operation %r", idop[:80])
        return HttpResponse("unknown operation", status=404, content_type="text/plain")
    try:
        outcome = online.refresh(attempt)
    except providers.GatewayError:
        logger.warning("PayFiP notification %s: detail not obtained", idop, exc_info=True)
        return HttpResponse("PayFiP unreachable", status=502, content_type="text/plain")
    logger.info("PayFiP notification %s: %s", idop, outcome)
    return HttpResponse(outcome, content_type="text/plain")


class DemoBankView(FamilyMixin, View):
    """The demonstration provider's page (`make run`): the parent chooses the outcome, then
    the portal asks the provider as it would ask PayFiP. Absent unless the demo is the
    active provider."""

    def attempt(self, attempt_pk) -> PaymentAttempt:
        active = providers.active()
        if active is None or active.name != PaymentAttempt.Provider.DEMO:
            raise Http404
        attempt = or_404(online.family_attempt, self.family, attempt_pk)
        if attempt.provider != PaymentAttempt.Provider.DEMO:
            raise Http404
        return attempt

    def get(self, request, attempt_pk):
        attempt = self.attempt(attempt_pk)
        return render(request, "facturation/demo_bank.html", {"attempt": attempt})

    def post(self, request, attempt_pk):
        attempt = self.attempt(attempt_pk)
        choice = request.POST.get("choice")
        if attempt.is_open and choice in DEMO_CHOICES:
            providers.get(attempt.provider).choose(attempt, choice)
            online.refresh(attempt)  # the notification path every provider takes
        return HttpResponseRedirect(
            reverse("facturation:attempt_return", args=[attempt.invoice_id, attempt.pk]),
            status=303)


urlpatterns = [
    path("factures/<uuid:invoice_pk>/paiement/<uuid:attempt_pk>/", AttemptReturnView.as_view(),
         name="attempt_return"),
    path("paiement/payfip/notification/", payfip_notification, name="payfip_notification"),
    path("paiement/demonstration/<uuid:attempt_pk>/", DemoBankView.as_view(), name="demo_bank"),
]
