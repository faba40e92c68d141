"""The family's journal: what the service did on its behalf. Each service an agent uses for a
family (at the counter, on the phone) records it here, in its own transaction, so the family
sees afterwards who acted for it, how and why (« Historique »)."""

from .models import FamilyEvent


def record(family, summary: str, *, actor, channel=FamilyEvent.Channel.COUNTER,
           reason: str = "") -> FamilyEvent:
    """`family`: a Family or its id. `summary`: what was done, in French, as the family will
    read it."""
    name = ""
    if actor is not None:
        name = actor.get_full_name() or actor.get_username()
    return FamilyEvent.objects.create(
        family_id=getattr(family, "pk", family), summary=summary[:500], actor=actor,
        actor_name=name, channel=channel, reason=reason)
