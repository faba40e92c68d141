"""Addressing a child's households: the family he lives in, then his second one in shared
custody. Every app that writes to the parents about a child goes through here, so that in
shared custody both households are told, one message each, and neither sees the other's
addresses."""

from ground.models import OutboxMessage
from ground.outbox import queue_email

from .queries import guardian_emails


def households(child) -> list[int]:
    """The child's household, then his second one in shared custody (family ids)."""
    return [h for h in (child.family_id, child.second_family_id) if h]


def households_of(*children) -> set[int]:
    """Every household (family id) of these children."""
    return {h for child in children for h in households(child)}


def household_emails(children) -> dict[int, list[str]]:
    """{household id: its guardians' e-mails} for every household of these children, in one
    query."""
    wanted = households_of(*children)
    emails: dict[int, list[str]] = {h: [] for h in wanted}
    for family_id, email in guardian_emails(wanted):
        emails[family_id].append(email)
    return emails


def email_households(template: str, child, context: dict, *,
                     content=OutboxMessage.Content.ORDINARY) -> None:
    """Queue the e-mail to each household of the child, one message each."""
    emails = household_emails([child])
    for household in households(child):
        queue_email(template, emails[household], context, content=content)
