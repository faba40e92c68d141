"""The nightly retention run (docs/donnees-personnelles.md, « Durées de conservation »):
each app purges its own data; the roof calls them in order, the apps above releasing what
they hold before the apps below delete it. Every step is idempotent and its own transaction,
so a run stopped half-way is finished by the next."""

from django.utils import timezone

from familles import retention as familles_retention
from ground import retention as ground_retention
from inscriptions import retention as inscriptions_retention


def run(now=None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {
        "health_dossiers": inscriptions_retention.purge_health_data(today),
        "documents_released": inscriptions_retention.release_expired_documents(today),
        "documents": familles_retention.purge_expired_documents(today),
        "health_accesses": inscriptions_retention.purge_health_accesses(now),
        "document_accesses": familles_retention.purge_document_accesses(now),
        "outbox_bodies": ground_retention.purge_outbox_bodies(now),
        "accounts_warned": familles_retention.warn_inactive_accounts(now),
        "accounts_anonymised": 0,
    }
    for user_id in familles_retention.accounts_to_anonymise(now):
        counts["accounts_anonymised"] += anonymise(user_id)
    return counts


def anonymise(user_id: int) -> bool:
    """An inactive account: its children's dossiers first (health data, documents let go:
    inscriptions), then the account, contacts and documents (familles); invoices and
    payments stay."""
    family_id = familles_retention.family_of(user_id)
    if family_id is None:
        return False
    if not familles_retention.others_active(family_id, user_id):
        inscriptions_retention.release_family(family_id)
    return familles_retention.anonymise_account(user_id)
