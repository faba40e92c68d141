"""Paying an invoice online: the payment page, « Payer » (to the active provider: see
facturation/providers), Stripe's return page (which only reads the database: the webhook
alone records a payment) and Stripe's webhook. The other providers' pages: views/online.py."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from familles.access import FamilyMixin
from ground.http import or_404

from .. import payment_methods, providers, queries, stripe_gateway
from ..models import euros
from ..services import online, payments

logger = logging.getLogger(__name__)


def invoice_context(invoice) -> dict:
    """What the payment pages show of an invoice (one of `queries.family_invoice`): amounts
    from its annotations, and its payments."""
    ways = payment_methods.available()
    return {
        "invoice": invoice, "paid": invoice.received_text,
        "credited": invoice.credited_text if invoice.credited_sum else "",
        "balance_cents": invoice.balance, "balance": euros(invoice.balance),
        "payments": [{"payment": payment, "amount": euros(payment.amount_cents)}
                     for payment in invoice.payments.order_by("received_at", "pk")],
        "online_payment": ways.online, "not_configured": ways.not_configured,
        "card_offered": ways.card_offered, "counter_ways": ways.counter_words, "ways": ways,
        "provider": providers.active(),
    }


class PaymentView(FamilyMixin, View):
    """« Payer la facture »: what is owed and how to pay it."""

    def get(self, request, invoice_pk):
        invoice = or_404(queries.family_invoice, self.family, invoice_pk,
                         timezone.localdate())
        return render(request, "facturation/payment.html", invoice_context(invoice))


def links_for(request, invoice_pk):
    """The portal's addresses a provider needs for an attempt (providers.Links)."""
    base = settings.PAYFIP_BASE_URL

    def public(path):  # what PayFiP's servers and the parent's browser come back to
        return base + path if base else request.build_absolute_uri(path)

    def links(attempt):
        return providers.Links(
            pay_page=request.build_absolute_uri(reverse("facturation:payment",
                                                        args=[invoice_pk])),
            attempt_return=public(reverse("facturation:attempt_return",
                                          args=[invoice_pk, attempt.pk])),
            stripe_return=request.build_absolute_uri(
                reverse("facturation:payment_return", args=[invoice_pk])),
            notification=public(reverse("facturation:payfip_notification")))
    return links


class PayView(FamilyMixin, View):
    """« Payer en ligne »: off to the provider's page; only an attempt is written here."""

    def post(self, request, invoice_pk):
        payment_page = reverse("facturation:payment", args=[invoice_pk])
        back = request.POST.get("next") or payment_page
        if not url_has_allowed_host_and_scheme(back, {request.get_host()},
                                               require_https=request.is_secure()):
            back = payment_page
        try:
            url = or_404(online.start_attempt, self.family, invoice_pk,
                         links_for=links_for(request, invoice_pk),
                         payer_email=request.user.email)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(back, status=303)
        return HttpResponseRedirect(url, status=303)


class PaymentReturnView(FamilyMixin, View):
    """Where Stripe sends the parent back: « Payée » only once the webhook has recorded the
    payment, « Paiement en cours de confirmation » until then, « à rembourser » when the
    payment of this Checkout session did not match what was owed."""

    def get(self, request, invoice_pk):
        invoice = or_404(queries.family_invoice, self.family, invoice_pk,
                         timezone.localdate())
        session_id = request.GET.get("session_id", "")
        payment = invoice.payments.filter(stripe_session_id=session_id).first() if (
            session_id) else None
        return render(request, "facturation/payment_return.html",
                      {**invoice_context(invoice), "payment": payment})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = stripe_gateway.verified_event(request.body,
                                              request.headers.get("Stripe-Signature"))
    except stripe_gateway.InvalidEvent as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return HttpResponse("invalid signature or payload", status=400,
                            content_type="text/plain")
    try:
        outcome = payments.handle_stripe_event(event)
    except payments.MalformedEvent as exc:
        logger.error("Stripe event %s (%s) refused: %s", event.get("id"), event.get("type"), exc)
        return HttpResponse("malformed event", status=400, content_type="text/plain")
    logger.info("Stripe event %s (%s): %s", event.get("id"), event.get("type"), outcome)
    return HttpResponse(outcome, content_type="text/plain")


urlpatterns = [
    path("factures/<uuid:invoice_pk>/paiement/", PaymentView.as_view(), name="payment"),
    path("factures/<uuid:invoice_pk>/payer/", PayView.as_view(), name="pay"),
    path("factures/<uuid:invoice_pk>/paiement/retour/", PaymentReturnView.as_view(),
         name="payment_return"),
    path("paiement/stripe/webhook/", stripe_webhook, name="stripe_webhook"),
]
