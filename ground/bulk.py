"""Writing many rows of one model at once (ground module: imports no app).

`bulk_create` builds a model instance per row and binds every value as its own parameter:
at 120,000 rows (an allocation run's entries, its publication's reservations) that is
seconds of CPU (docs/performance.md, "Issue 28"). On PostgreSQL, `insert_rows` sends each
column as one array and lets `unnest` make the rows: one statement and a dozen parameters
per batch. Elsewhere (the demo's SQLite) it falls back to `bulk_create`. The caller gives
every value: no field default, `auto_now_add` or `save()` applies."""

from django.db import connection

BATCH = 20_000


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert `rows` (one value per name of `fields`, a foreign key by its id, plain values
    the database driver takes as they are) in `model`'s table, in the caller's transaction."""
    if not rows:
        return
    found = [model._meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**{f.attname: v for f, v in zip(found, row, strict=True)}) for row in rows],
            batch_size=2000)
        return
    columns = ", ".join(connection.ops.quote_name(f.column) for f in found)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in found)
    # Names and types from the model, never from input: the values are parameters.
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            cursor.execute(sql, [list(column) for column in zip(*batch, strict=True)])
