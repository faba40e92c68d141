"""Rows read by hand-written SQL (`connection.cursor()`), made into model instances the way
the ORM makes them: each value through the ORM's converters for its column (SQLite's
datetimes made aware, its booleans made bool, a field's own `from_db_value`), then the
model's own `Model.from_db`. For the few hot reads of the apps' reads modules, where building
and compiling a queryset costs more CPU than running it (docs/performance.md). The SQL names
its columns through `select()`, in the order `from_db` takes them."""

import functools

from django.db import DEFAULT_DB_ALIAS, connection, connections


@functools.cache
def columns(model) -> tuple:
    """The model's columns, in the order `Model.from_db` takes their values."""
    return tuple(f for f in model._meta.get_fields()
                 if getattr(f, "concrete", False) and not f.many_to_many and f.column)


@functools.cache
def attnames(model) -> list[str]:
    return [f.attname for f in columns(model)]


def table(model) -> str:
    return f'"{model._meta.db_table}"'


def select(model, alias: str) -> str:
    """The model's columns under a table alias, for a SELECT."""
    return ", ".join(f'{alias}."{f.column}"' for f in columns(model))


@functools.cache
def converters(model, vendor: str) -> tuple:
    """Per column, what the ORM does to a value the database sent; found once per model and
    kind of database."""
    found = []
    for f in columns(model):
        column = f.get_col(model._meta.db_table)
        found.append((column, (*connection.ops.get_db_converters(column),
                               *f.get_db_converters(connection))))
    return tuple(found)


def convert(model, attname: str, value):
    """One column's value, converted as the ORM converts it."""
    column, steps = converters(model, connection.vendor)[attnames(model).index(attname)]
    for step in steps:
        value = step(value, column, connection)
    return value


def instance(model, values, db=None):
    """An instance from its columns' values as the database sent them. `db`: the default
    connection itself, when the caller has it already (`connection` is a proxy that looks
    the thread's connection up at every attribute: a few times per value otherwise)."""
    db = db or connections[DEFAULT_DB_ALIAS]
    converted = list(values)
    for i, (column, steps) in enumerate(converters(model, db.vendor)):
        for step in steps:
            converted[i] = step(converted[i], column, db)
    return model.from_db(db.alias, attnames(model), converted)


@functools.cache
def pk_index(model) -> int:
    return columns(model).index(model._meta.pk)


def instances(models, values) -> list:
    """One instance of each model from one row holding their columns in turn (as several
    `select()` in a row write them); None for a model whose primary key is NULL there (a
    LEFT JOIN that found no row), as `select_related` leaves it, and no instance built."""
    db = connections[DEFAULT_DB_ALIAS]
    made, start = [], 0
    for model in models:
        end = start + len(columns(model))
        made.append(None if values[start + pk_index(model)] is None
                    else instance(model, values[start:end], db))
        start = end
    return made


def fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Django turns an integer lookup outside a bigint column's range into "no row" before any SQL;
# hand-written SQL would send it and get a database error instead.
BIGINT_LIMIT = 2**63


def row_ids(values) -> list[int]:
    """The values that can be a row's id, once each, in order."""
    return sorted({v for v in values if 0 < v < BIGINT_LIMIT})


def placeholders(values) -> str:
    """`%s, %s, …`, one per value, for an `IN (…)` whose values are passed as parameters."""
    return ", ".join(["%s"] * len(values))
