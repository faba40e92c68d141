"""Staff tools of the reservations app, one module per concept: the bookings' calendar
(deadline rules, booking periods, age groups, capacities, closure days), slots, reservations,
absence justifications, canteen subscriptions, registers and attendance. Every change of
places or states goes through reservations.services: the admin never saves them raw."""

from . import (  # noqa: F401
    absences,
    allocations,
    bookings,
    periods,
    registers,
    slots,
    subscriptions,
)
