"""Messages to families, as staff write them (portail/models.py).

- `MessageFactory`: a draft to the families of an activity (give `audience` and what it
  needs for another one); `sent=True` for one already sent by a staff member.
- `enrolled_household(activity, **guardian_kwargs)`: a guardian (with his login) whose child
  is enrolled in the activity; returns the guardian.
- `send_now(message, staff)`: send the draft as staff do, the writing task run eagerly as the
  test settings run it; returns the number of families.
- `outbox_recipients(message)`: the addresses the message's e-mails went to, as a sorted
  list (one entry per e-mail written).
"""

import factory
from django.utils import timezone

from ground.models import OutboxMessage
from portail.messaging import TEMPLATE, send_message
from portail.models import Message
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.enrolments import ActivityFactory, EnrolmentFactory
from tests.scenarios.families import ChildFactory, GuardianFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    kind = Message.Kind.CLOSURE
    subject = factory.Sequence(lambda n: f"Fermeture exceptionnelle n° {n}")
    body = "L'accueil sera fermé vendredi : merci de prendre vos dispositions."
    audience = Message.Audience.ACTIVITY
    activity = factory.LazyAttribute(
        lambda o: ActivityFactory() if o.audience == Message.Audience.ACTIVITY else None)
    created_by = factory.SubFactory(StaffFactory)

    class Params:
        sent = factory.Trait(
            state=Message.State.SENT,
            sent_at=factory.LazyFunction(timezone.now),
            sent_by=factory.SelfAttribute("created_by"),
            written_at=factory.LazyFunction(timezone.now),
        )


def enrolled_household(activity, **guardian_kwargs):
    guardian = GuardianFactory(**guardian_kwargs)
    child = ChildFactory(family=guardian.family)
    EnrolmentFactory(child=child, activity=activity, requested_by=guardian.user)
    return guardian


def send_now(message, staff=None) -> int:
    return send_message(message.pk, staff or message.created_by)


def outbox_recipients(message) -> list[str]:
    return sorted(address for to in OutboxMessage.objects.filter(
        template=TEMPLATE, subject=message.subject).values_list("to", flat=True)
        for address in to)
