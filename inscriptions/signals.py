"""Signals other apps listen to, so that data flows one way (DESIGN.md, "Architecture").

`enrolment_ended` is sent inside the transaction that withdraws an enrolment: the
reservations app cancels the bookings that can still be cancelled and stops the canteen
subscription, atomically with the withdrawal."""

from django.dispatch import Signal

enrolment_ended = Signal()  # kwargs: enrolment, user, now
