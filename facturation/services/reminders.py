"""Reminders for invoices past due (beat, daily).

An issued invoice whose due date has passed and that still has something to pay gets a
reminder e-mailed to the payer's guardians, then again every few days (the commune's setting)
while it stays unpaid; not one a direct debit will pay. The invoices are locked (skipping
those another run holds) and stamped in the transaction that writes the messages to the
outbox: two runs at once, or one run twice, send each reminder once."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from familles.letters import write_to_family
from ground.commune import commune

from .. import direct_debit, payment_methods
from ..models import Invoice, euros


def _due_for_reminder(now):
    today = timezone.localdate(now)
    since = now - timedelta(days=commune().invoice_reminder_days)
    return Invoice.objects.filter(state=Invoice.State.ISSUED, due_date__lt=today).filter(
        Q(reminder_sent_at__isnull=True) | Q(reminder_sent_at__lte=since)).exclude(
        pk__in=direct_debit.awaiting_debit().values("pk"))


@transaction.atomic
def send_overdue_reminders(now=None) -> int:
    """Queue a reminder for each unpaid invoice past due; returns how many were queued."""
    now = now or timezone.now()
    unpaid = _due_for_reminder(now).with_balances().filter(balance__gt=0)
    balances = dict(unpaid.values_list("pk", "balance"))
    if not balances:
        return 0
    # The conditions again under the lock: a run that committed meanwhile stamped its own.
    invoices = list(_due_for_reminder(now).filter(pk__in=balances).select_for_update(
        skip_locked=True, of=("self",)).select_related("family").prefetch_related(
        "family__guardians__user").order_by("number"))
    today = timezone.localdate(now)
    ways = payment_methods.available()
    for invoice in invoices:
        write_to_family("invoice_reminder", invoice.family, {
            "invoice": invoice, "family": invoice.family,
            "balance": euros(balances[invoice.pk]),
            "days_late": (today - invoice.due_date).days, "ways": ways})
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(reminder_sent_at=now)
    return len(invoices)
