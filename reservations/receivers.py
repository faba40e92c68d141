"""Reactions to the inscriptions app's signals (it cannot import us: data flows one way)."""

from .services.subscriptions import end_for_enrolment


def on_enrolment_ended(sender, enrolment, user, now=None, **kwargs):
    end_for_enrolment(enrolment, user, now=now)
