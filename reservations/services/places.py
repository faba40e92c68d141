"""Taking places on PostgreSQL in one statement: the opening-day rush's common case, days the
child has never requested.

One statement locks the slots' rows in id order (the same order for everyone: no deadlock),
takes a place on each slot that has one or else the waiting list's next ticket, and writes each
day's reservation, confirmed or waiting. Outside a caller's transaction it is sent with its
lock timeout as one query string, which the server runs as one implicit transaction: one round
trip, locks held for that statement only, and a failure (lock timeout, a day booked meanwhile
from another tab) undoes every count and row together. Each day still gets its own answer: a
full day puts the child on the waiting list (or is left, if the parent does not want to wait),
it refuses nothing else."""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import ClientCursor

TAKE_PLACES_AND_INSERT = """
WITH place AS (
    SELECT id, NOT closed AND booked < capacity AS free
    FROM reservations_slot WHERE id = ANY(%(slots)s) ORDER BY id FOR UPDATE
), decided AS (
    UPDATE reservations_slot AS slot
    SET booked = slot.booked + CASE WHEN place.free THEN 1 ELSE 0 END,
        waiting_tickets = slot.waiting_tickets + CASE WHEN place.free THEN 0 ELSE 1 END
    FROM place WHERE slot.id = place.id AND (place.free OR %(join)s)
    RETURNING slot.id AS slot_id, CASE WHEN place.free THEN 'confirmed' ELSE 'waiting' END
        AS state, CASE WHEN place.free THEN NULL ELSE slot.waiting_tickets END AS ticket
)
INSERT INTO reservations_reservation (
    child_id, slot_id, family_id, state, source, created_at, waiting_since, waiting_ticket,
    confirmed_at, cancelled_at, cancelled_late, updated_by_id)
SELECT %(child)s, slot_id, %(family)s, state, %(source)s, %(created)s,
    CASE WHEN state = 'waiting' THEN %(now)s::timestamptz END, ticket,
    CASE WHEN state = 'confirmed' THEN %(now)s::timestamptz END,
    NULL, false, %(user)s
FROM decided
ORDER BY slot_id
RETURNING slot_id, state
"""


def one_statement() -> bool:
    """Whether the days never requested are booked in one statement (PostgreSQL only)."""
    return connection.vendor == "postgresql"


def short_lock_timeout() -> None:
    """Within the current transaction: contention answers "busy" instead of waiting."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)",
                           [f"{settings.PORTAIL_BOOKING_LOCK_TIMEOUT_MS}ms"])


def _client_binding_cursor():
    """Two statements in one query string need client-side binding, whatever binding the
    connection's other queries use (production binds on the server). Wrapped as Django wraps
    its own cursors: errors translated, the query logged and seen by execute wrappers."""
    connection.ensure_connection()
    raw = ClientCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def take_places_and_insert(child, slots, family, user, join_waiting_list, now,
                           source) -> dict[int, str]:
    """{slot id: "confirmed" or "waiting"}; a full slot is missing when the parent does not
    want the waiting list. Raises IntegrityError or OperationalError with nothing written."""
    params = {"slots": sorted(slot.pk for slot in slots), "child": child.pk,
              "family": family.pk, "source": source, "created": timezone.now(), "now": now,
              "user": getattr(user, "pk", None), "join": bool(join_waiting_list),
              "timeout": f"{settings.PORTAIL_BOOKING_LOCK_TIMEOUT_MS}ms"}
    if connection.in_atomic_block:  # within a caller's transaction: a savepoint
        with transaction.atomic(), connection.cursor() as cursor:
            short_lock_timeout()
            cursor.execute(TAKE_PLACES_AND_INSERT, params)
            rows = cursor.fetchall()
    else:
        with _client_binding_cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %(timeout)s;" + TAKE_PLACES_AND_INSERT,
                           params)
            cursor.nextset()
            rows = cursor.fetchall()
    return dict(rows)
