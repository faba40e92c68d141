"""The nightly retention run (docs/donnees-personnelles.md, « Durées de conservation »):
each app purges its own data; the roof calls them in order, the apps above releasing what
they hold before the apps below delete it. Every step is idempotent and its own transaction,
so a run stopped half-way is finished by the next."""

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from familles import retention as familles_retention
from familles.models import User
from ground import retention as ground_retention
from inscriptions import retention as inscriptions_retention
from reservations import retention as reservations_retention

from .erasure_plan import unpaid
from .models import DataExport


def run(now=None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {
        "health_dossiers": inscriptions_retention.purge_health_data(today),
        "documents_released": inscriptions_retention.release_expired_documents(today),
        "justification_documents":
            reservations_retention.release_old_justification_documents(today),
        "documents": familles_retention.purge_expired_documents(today),
        "health_accesses": inscriptions_retention.purge_health_accesses(now),
        "document_accesses": familles_retention.purge_document_accesses(now),
        "outbox_bodies": ground_retention.purge_outbox_bodies(now),
        "allocation_priorities": reservations_retention.purge_past_priorities(today),
        "accounts_warned": familles_retention.warn_inactive_accounts(now),
        "accounts_anonymised": 0,
    }
    for user_id in familles_retention.accounts_to_anonymise(now):
        counts["accounts_anonymised"] += anonymise(user_id)
    counts["households_warned"] = familles_retention.warn_dormant_households(now)
    counts["households_closed"] = sum(
        close_dormant(family_id, now)
        for family_id in familles_retention.dormant_households_to_close(now))
    # Expired sessions (who was logged in, from where) stay in the database until cleared.
    call_command("clearsessions")
    return counts


def anonymise(user_id: int, *, actor=None, now=None) -> bool:
    """Close an account, inactive or erased on request (portail.erasure): one path for both.
    When nobody else in the household uses the portal, the apps above let go of what they
    hold first (future bookings: reservations; health data, documents: inscriptions), then
    the account, contacts and documents go (familles), the e-mails sent to it lose their
    text (ground) and the household's data exports their files. Invoices, payments and the
    names they carry stay. Returns False when there was nothing to close."""
    family_id = familles_retention.family_of(user_id)
    if family_id is None:
        return False
    household = not familles_retention.others_active(family_id, user_id)
    if household:
        reservations_retention.release_family(family_id, actor, now)
        inscriptions_retention.release_family(family_id)
    address = User.objects.values_list("email", flat=True).get(pk=user_id)
    if not familles_retention.anonymise_account(user_id, keep_address=unpaid(family_id)):
        return False
    ground_retention.forget_address(address, familles_retention.anonymous_email(user_id))
    if household:
        drop_exports(family_id)
    return True


@transaction.atomic
def close_dormant(family_id: int, now=None) -> bool:
    """A household served at the counter, warned by letter and still without news: the same
    as a closed account's household (bookings to come released, dossiers' health data and
    documents let go, contacts and documents deleted), all or nothing."""
    reservations_retention.release_family(family_id, None, now)
    inscriptions_retention.release_family(family_id)
    if not familles_retention.close_dormant_household(family_id,
                                                     keep_address=unpaid(family_id)):
        return False
    drop_exports(family_id)
    return True


def drop_exports(family_id: int) -> None:
    """A closed household's copies of its data: files deleted, rows kept as expired; one
    still in preparation is abandoned."""
    DataExport.objects.filter(family_id=family_id, state=DataExport.State.BUILDING).update(
        state=DataExport.State.FAILED)
    for export in DataExport.objects.filter(family_id=family_id).exclude(file=""):
        storage, name = export.file.storage, export.file.name
        export.file = ""
        export.state = DataExport.State.EXPIRED
        export.save(update_fields=["file", "state"])
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
