"""Addressing a child's households: the family he lives in, then his second one in shared
custody. Every app that writes to the parents about a child goes through here, so that in
shared custody both households are told, one message each, and neither sees the other's
addresses."""

from dataclasses import dataclass, field

from ground.models import OutboxMessage

from .letters import write
from .queries import guardian_emails


@dataclass
class Addresses:
    """How a household is written to: its guardians' e-mails, and a letter when one of them
    has none (served at the counter)."""

    emails: list[str] = field(default_factory=list)
    by_post: bool = False


def households(child) -> list[int]:
    """The child's household, then his second one in shared custody (family ids)."""
    return [h for h in (child.family_id, child.second_family_id) if h]


def households_of(*children) -> set[int]:
    """Every household (family id) of these children."""
    return {h for child in children for h in households(child)}


def household_addresses(children) -> dict[int, Addresses]:
    """{household id: its addresses} for every household of these children, in one query."""
    return addresses_of(households_of(*children))


def addresses_of(wanted) -> dict[int, Addresses]:
    """{household id: its addresses} for these households (family ids), in one query."""
    addresses = {h: Addresses() for h in wanted}
    for family_id, email in guardian_emails(wanted):
        if email:
            addresses[family_id].emails.append(email)
        else:
            addresses[family_id].by_post = True
    return addresses


def write_to_households(template: str, child, context: dict, *,
                        content=OutboxMessage.Content.ORDINARY) -> None:
    """Write to each household of the child, one message (or letter) each."""
    addresses = household_addresses([child])
    for household in households(child):
        found = addresses[household]
        write(template, household, found.emails, found.by_post, context, content=content)
