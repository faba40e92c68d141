"""Reactions to the inscriptions app's signals (it cannot import us: data flows one way)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from ground import french
from inscriptions.extensions import EnrolmentLink

from .services.subscriptions import end_for_enrolment


def on_enrolment_ended(sender, enrolment, user, now=None, **kwargs):
    end_for_enrolment(enrolment, user, now=now)


def subscription_link(enrolment, activity):
    """The canteen subscription's button beside a validated enrolment (inscriptions.extensions)."""
    if not activity.allows_subscription:
        return []
    return [EnrolmentLink(
        _("Abonnement restauration"),
        reverse("reservations:subscription", args=[enrolment.pk]),
        french.de(enrolment.child.first_name))]
