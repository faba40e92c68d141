"""Read side of the roof: the service's messages a household received."""

from datetime import timedelta

from .models import Message, MessageDelivery

# The dashboard shows the messages of the last weeks; « Messages du service » lists them all.
RECENT_DAYS = 60
RECENT_SHOWN = 5


def _received(family_id, since=None):
    """The household's own deliveries of sent messages, newest first: a family reaches a
    message only through them, never by its id."""
    deliveries = MessageDelivery.objects.filter(family_id=family_id).exclude(
        message__state=Message.State.DRAFT)
    if since is not None:
        deliveries = deliveries.filter(message__sent_at__gte=since)
    return deliveries.select_related("message").order_by("-message__sent_at", "-message_id")


def family_messages(family_id) -> list[Message]:
    """Every message sent to this household, newest first (one query)."""
    return [delivery.message for delivery in _received(family_id)]


def recent_messages(family_id, now) -> list[Message]:
    """The household's messages of the last RECENT_DAYS, at most RECENT_SHOWN (one query)."""
    since = now - timedelta(days=RECENT_DAYS)
    return [delivery.message for delivery in _received(family_id, since)[:RECENT_SHOWN]]
