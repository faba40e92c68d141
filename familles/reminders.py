"""Telling families that a document in their vault is about to expire (run by beat)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ground.commune import commune
from ground.outbox import queue_email

from .models import Document


@transaction.atomic
def send_expiry_notices(today=None) -> int:
    today = today or timezone.localdate()
    horizon = today + timedelta(days=commune().document_expiry_notice_days)
    documents = (
        Document.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(valid_until__gte=today, valid_until__lte=horizon,
                expiry_notice_sent_at__isnull=True)
        .select_related("family", "child").prefetch_related("family__guardians__user")
    )
    sent = 0
    for document in documents:
        emails = document.family.guardian_emails()
        if emails:
            queue_email("document_expiring", emails, {"document": document})
            sent += 1
        document.expiry_notice_sent_at = timezone.now()
        document.save(update_fields=["expiry_notice_sent_at"])
    return sent
