"""Retention of the households' personal data (docs/donnees-personnelles.md, « Durées de
conservation »): expired documents, staff access traces to documents, inactive accounts.

Each function is idempotent and runs in its own transaction; the roof's beat task
(portail.retention) calls them after the apps above have released what they hold."""

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, OuterRef, ProtectedError, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ground.commune import commune
from ground.outbox import queue_email
from ground.retention import purge_access_log

from .letters import write
from .models import (
    Contact,
    Document,
    DocumentAccess,
    Family,
    FamilyEvent,
    Guardian,
    Letter,
    User,
)

logger = logging.getLogger(__name__)

# How long an inactive account has, after the warning, to log in before it is anonymised.
ANONYMISATION_GRACE = timedelta(days=30)


def delete_document(document: Document) -> bool:
    """Delete a document and, once committed, its file; False when a record still needs it
    (a dossier, an absence justification, a quotient decision: PROTECT)."""
    file = document.file
    try:
        with transaction.atomic():
            pk = document.pk
            document.delete()
            # Its history would keep what the document was (kind, file name).
            Document.history.filter(id=pk).delete()
    except ProtectedError:
        return False
    if file:
        transaction.on_commit(lambda: file.storage.delete(file.name))
    return True


@transaction.atomic
def purge_expired_documents(today=None) -> int:
    """Documents whose validity ended longer ago than the commune's setting, and which no
    record still holds, are deleted with their file."""
    today = today or timezone.localdate()
    cutoff = today - relativedelta(months=commune().retention_document_months)
    deleted = sum(delete_document(document) for document in
                  Document.objects.select_for_update().filter(valid_until__lt=cutoff))
    logger.info("Retention: %d expired documents deleted", deleted)
    return deleted


def purge_document_accesses(now=None) -> int:
    return purge_access_log(DocumentAccess, now)


def _parents():
    return User.objects.filter(is_active=True, is_staff=False, guardian__isnull=False)


def _last_activity():
    return Coalesce("last_login", "date_joined")


@transaction.atomic
def warn_inactive_accounts(now=None) -> int:
    """Warn each parent account without a login for the commune's number of years; a login
    since a warning cancels it (the clock starts again)."""
    now = now or timezone.now()
    _parents().filter(inactivity_warned_at__isnull=False,
                      last_login__gt=F("inactivity_warned_at")).update(inactivity_warned_at=None)
    limit = now - relativedelta(years=commune().retention_inactive_account_years)
    users = (_parents().select_for_update(of=("self",))
             .alias(active_at=_last_activity())
             .filter(inactivity_warned_at__isnull=True, active_at__lt=limit))
    warned = 0
    for user in users:
        queue_email("account_inactive", user.email,
                    {"anonymised_on": timezone.localdate(now + ANONYMISATION_GRACE)})
        user.inactivity_warned_at = now
        user.save(update_fields=["inactivity_warned_at"])
        warned += 1
    logger.info("Retention: %d inactive accounts warned", warned)
    return warned


def accounts_to_anonymise(now=None) -> list[int]:
    """Warned long enough ago and still without a login since."""
    now = now or timezone.now()
    return list(_parents().filter(inactivity_warned_at__lt=now - ANONYMISATION_GRACE)
                .filter(Q(last_login__isnull=True) | Q(last_login__lte=F("inactivity_warned_at")))
                .values_list("pk", flat=True))


def family_of(user_id: int) -> int | None:
    return Guardian.objects.filter(user_id=user_id).values_list("family_id", flat=True).first()


def others_active(family_id: int, user_id: int) -> bool:
    """Whether another guardian of the household still uses the portal: then the household's
    data (address, contacts, documents, dossiers) stays, only this account closes."""
    return Guardian.objects.filter(family_id=family_id, user__is_active=True).exclude(
        user_id=user_id).exists()


def anonymous_email(user_id: int) -> str:
    """What a closed account's address becomes (unique, and never deliverable)."""
    return f"anonyme-{user_id}@invalid.invalid"


GUARDIAN_CONTACT_FIELDS = {"mobile_phone": "", "home_phone": "", "work_phone": ""}


@transaction.atomic
def anonymise_account(user_id: int, *, keep_address: bool = False) -> bool:
    """Close a parent's account (inactive, or erased on request) and, when nobody else in the
    household uses the portal, remove its contact data, documents and printed letters.
    Invoices, payments and the names on them are accounting records: never touched (see the
    docs for what stays). `keep_address`: an invoice is unpaid, the public accountant needs
    the household's postal address to recover it (the roof decides: billing is above).
    Idempotent: a closed account is left alone."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    guardian = Guardian.objects.select_related("family").get(user=user)
    family = guardian.family
    EmailAddress.objects.filter(user=user).delete()
    user.email = anonymous_email(user.pk)
    user.first_name = user.last_name = ""
    user.is_active = False
    user.inactivity_warned_at = None
    user.set_unusable_password()
    user.save()
    for field, value in GUARDIAN_CONTACT_FIELDS.items():
        setattr(guardian, field, value)
    guardian.save(update_fields=list(GUARDIAN_CONTACT_FIELDS))
    # The journal named the account by its e-mail when it had no name: the guardian's name
    # (kept on the invoices) instead.
    FamilyEvent.objects.filter(actor=user).update(actor_name=str(guardian))
    Guardian.history.filter(id=guardian.pk).update(**GUARDIAN_CONTACT_FIELDS)
    # The household's address and contacts go only when nobody in it still uses the portal.
    if not others_active(family.pk, user.pk):
        close_household(family, keep_address=keep_address)
    logger.info("Retention: account %d anonymised", user.pk)
    return True


def close_household(family: Family, *, keep_address: bool = False) -> None:
    """Nobody in the household uses the portal any more: its address (unless an unpaid
    invoice needs it), contacts, documents, printed letters and guardians' phones go, in the
    records and their history; names stay, the invoices carry them. Idempotent."""
    if not keep_address:
        family.address = family.postal_code = family.city = ""
        Family.history.filter(id=family.pk).update(address="", postal_code="", city="")
    family.inactivity_warned_at = None
    family.data_erased_at = family.data_erased_at or timezone.now()
    family.save(update_fields=["address", "postal_code", "city", "inactivity_warned_at",
                               "data_erased_at"])
    guardians = Guardian.objects.filter(family=family)
    guardians.update(**GUARDIAN_CONTACT_FIELDS)
    Guardian.history.filter(id__in=guardians.values("pk")).update(**GUARDIAN_CONTACT_FIELDS)
    family.contacts.all().delete()
    Contact.history.filter(family_id=family.pk).delete()
    for document in family.documents.all():
        delete_document(document)
    # A printed letter said what an e-mail would have: its copy is no longer needed.
    family.letters.filter(printed_at__isnull=False).delete()


# Households served at the counter (no guardian with an account): their news is what the
# service wrote in their journal and the letters it printed for them, not logins.
DORMANT_LETTER = "household_dormant"


def _counter_households():
    return (Family.objects.filter(data_erased_at__isnull=True)
            .exclude(guardians__user__isnull=False)
            .alias(active_at=Greatest(
                "created_at",
                Coalesce(Subquery(FamilyEvent.objects.filter(family=OuterRef("pk"))
                                  .order_by("-at").values("at")[:1]), "created_at"),
                Coalesce(Subquery(Letter.objects.filter(family=OuterRef("pk"))
                                  .exclude(template=DORMANT_LETTER)
                                  .order_by("-created_at").values("created_at")[:1]),
                         "created_at"))))


@transaction.atomic
def warn_dormant_households(now=None) -> int:
    """A letter to print for each household served at the counter that the service has had
    no news of for the commune's number of years (the inactive accounts' setting); news
    since a warning (a journal entry, a letter) cancels it."""
    now = now or timezone.now()
    back = list(_counter_households().filter(inactivity_warned_at__isnull=False,
                                             active_at__gt=F("inactivity_warned_at"))
                .values_list("pk", flat=True))
    Family.objects.filter(pk__in=back).update(inactivity_warned_at=None)
    limit = now - relativedelta(years=commune().retention_inactive_account_years)
    warned = 0
    for family in (_counter_households().select_for_update(of=("self",))
                   .filter(inactivity_warned_at__isnull=True, active_at__lt=limit)):
        write(DORMANT_LETTER, family.pk, [], True,
              {"erased_on": timezone.localdate(now + ANONYMISATION_GRACE)})
        family.inactivity_warned_at = now
        family.save(update_fields=["inactivity_warned_at"])
        warned += 1
    logger.info("Retention: %d households served at the counter warned", warned)
    return warned


def dormant_households_to_close(now=None) -> list[int]:
    """Warned long enough ago, and no news since."""
    now = now or timezone.now()
    return list(_counter_households()
                .filter(inactivity_warned_at__lt=now - ANONYMISATION_GRACE,
                        active_at__lte=F("inactivity_warned_at"))
                .values_list("pk", flat=True))


@transaction.atomic
def close_dormant_household(family_id: int, *, keep_address: bool = False) -> bool:
    family = Family.objects.select_for_update().filter(
        pk=family_id, data_erased_at__isnull=True).first()
    if family is None:
        return False
    close_household(family, keep_address=keep_address)
    logger.info("Retention: household %d, served at the counter, closed", family_id)
    return True
