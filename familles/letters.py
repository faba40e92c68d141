"""Writing to a household: e-mails to its guardians who have an address, and a letter to print
for a household with a guardian served at the counter (no e-mail, no login). The letter says
what the e-mail says, rendered from the same templates; staff print the letters waiting from
the admin (« Courriers à imprimer »), as one PDF.

A message carrying a secret (a link to an account) has no paper form, nor one carrying health
data (a letter is kept in clear until printed): those are e-mails only."""

import weasyprint
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ground.commune import commune
from ground.models import OutboxMessage
from ground.outbox import queue_message, queue_messages, render_email

from .models import Family, Letter


def write(template: str, family_id: int, emails: list[str], by_post: bool, context: dict, *,
          content=OutboxMessage.Content.ORDINARY) -> bool:
    """Queue the e-mail to `emails` and, `by_post`, a letter to the family, in the caller's
    transaction: the message exists if and only if the decision does. Returns whether a
    letter was written."""
    subject, text, html = render_email(template, context)
    if emails:
        queue_message(to=emails, subject=subject, body_text=text, body_html=html,
                      template=template, content=content)
    if by_post and content == OutboxMessage.Content.ORDINARY:
        Letter.objects.create(family_id=family_id, template=template, subject=subject,
                              body_text=text)
        return True
    return False


def write_many(template: str, writes: list[tuple[int, list[str], bool, dict]]) -> int:
    """`write` to many households at once, ordinary content only: each (family id, e-mails,
    by post, context) rendered, then the messages and the letters inserted by batches (one
    statement each) instead of one or two statements per household. Returns how many
    letters were written."""
    messages, letters = [], []
    for family_id, emails, by_post, context in writes:
        subject, text, html = render_email(template, context)
        if emails:
            messages.append({"to": emails, "subject": subject, "body_text": text,
                             "body_html": html, "template": template})
        if by_post:
            letters.append(Letter(family_id=family_id, template=template, subject=subject,
                                  body_text=text))
    queue_messages(messages)
    Letter.objects.bulk_create(letters, batch_size=500)
    return len(letters)


def write_to_family(template: str, family: Family, context: dict, *,
                    content=OutboxMessage.Content.ORDINARY) -> tuple[int, bool]:
    """Write to one household; returns what was written: the number of addresses e-mailed,
    and whether a letter was. A caller writing to many prefetches `guardians__user`
    (otherwise each guardian's login is one more query)."""
    guardians = list(family.guardians.all())
    emails = family.guardian_emails()
    letter = write(template, family.pk, emails, any(g.by_post for g in guardians), context,
                   content=content)
    return len(emails), letter


def letters_pdf(letters) -> bytes:
    """The letters, one page each (or more), in one PDF: the household's name and address in
    the window of a standard envelope."""
    letters = list(letters)
    families = {f.pk: f for f in Family.objects.filter(
        pk__in={letter.family_id for letter in letters}).prefetch_related("guardians")}
    html = render_to_string("familles/letters_pdf.html", {
        "letters": [(letter, families[letter.family_id]) for letter in letters],
        "commune": commune(),
    })
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def mark_printed(letter_ids, staff_user) -> int:
    """Record who printed these letters and when (those not printed yet)."""
    with transaction.atomic():
        return Letter.objects.filter(pk__in=letter_ids, printed_at__isnull=True).update(
            printed_at=timezone.now(), printed_by=staff_user)
