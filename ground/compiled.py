"""Hot reads whose SQL Django builds once per process, then only binds new values.

Building and compiling a queryset costs far more CPU than running it: reading a child's
enrolments with their activity, deadline rule and site costs about 0.55 ms to compile and
0.13 ms to run on PostgreSQL. On reservation-opening day every parent's calendar and booking
make a dozen such reads, so for the few reads on that path (`bench.profile_views` measures
them) the compiled SQL is kept and reused:

    @compiled_read
    def enrolments_of(child_id, year_id):
        return Enrolment.objects.filter(child_id=child_id, activity__school_year_id=year_id)

    enrolments_of(child.pk, year.pk)   # a list of Enrolment (made by ground.instances)

The function is called with stand-in values (sentinels) twice per process and shape, and the
parameters of the SQL are matched to them; later calls put their own values there. Rules:

- Positional arguments are ints, strings, dates or aware datetimes, or lists, tuples or sets
  of them (a set is read in sorted order; the SQL's shape is kept per length, and an empty
  one reads no row without asking the database); None and booleans select a shape rather
  than a value. Keyword arguments are compiled in (each value its own shape): a LIMIT, a flag.
- The function only builds a queryset from them: no Python decision on a value.
- Each value must reach the SQL unchanged: a value that a lookup transforms (`date__year`)
  or that is never used is refused at the first call (ImproperlyConfigured), never guessed.
- The result is a list, not a queryset: slicing or filtering it again would need a new SQL.

It relies on three internals of Django 5.2's compiler (`select`, `klass_info`,
`annotation_col_map`, filled by `as_sql()`), on QuerySet's `_query` and `_iterable_class`,
and on what `ModelIterable` and `RelatedPopulator` make of a row (ground.instances): the tests
of both modules run on SQLite and PostgreSQL and compare with the ORM's own instances, so that
an upgrade that changes them fails there first."""

import copy
import datetime
import functools
import itertools
import threading
import weakref
from collections.abc import Set

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.models.query import ModelIterable

from .instances import Instances

# Sentinels sit inside every integer column's range (Django turns out-of-range integer
# lookups into "no row" before any SQL), far from real constants; two rounds, so that a
# constant equal to one of them by chance is caught.
_INT = (31001, 30001)
_DAY = (datetime.date(2401, 1, 1), datetime.date(2501, 1, 1))
_MOMENT = (datetime.datetime(2401, 1, 1, tzinfo=datetime.UTC),
           datetime.datetime(2501, 1, 1, tzinfo=datetime.UTC))
_BIGINT = 2**63


def possible_ids(values) -> list[int]:
    """The values that can be a row's id, once each, in order: an id typed into a form may be
    any number, and a compiled read refuses integers no column can hold."""
    return sorted({v for v in values if 0 < v < _BIGINT})


def _kind(value):
    """How a value enters the SQL: as a parameter ('int', 'str', 'date', 'datetime'), or as
    part of the shape (None, booleans)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not -_BIGINT <= value < _BIGINT:
            raise ValueError(f"integer out of range: {value}")
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return "datetime"
    if isinstance(value, datetime.date):
        return "date"
    raise TypeError(f"compiled_read takes ids, strings, dates and datetimes, not {value!r}")


def _shape(value):
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_shape(v) for v in value))
    kind = _kind(value)
    return kind if kind is not None else ("=", value)


def _flatten(value, out):
    if isinstance(value, list | tuple):
        for v in value:
            _flatten(v, out)
    elif _kind(value) is not None:
        out.append(value)
    return out


def _stand_ins(value, round_, counter):
    """`value` with each parameter replaced by a distinct sentinel of its kind."""
    if isinstance(value, list | tuple):
        return type(value)(_stand_ins(v, round_, counter) for v in value)
    kind = _kind(value)
    if kind is None:
        return value
    n = next(counter)
    if kind == "int":
        return _INT[round_] + n
    if kind == "str":
        return f"\x1fcompiled-{round_}-{n}"
    if kind == "date":
        return _DAY[round_] + datetime.timedelta(days=n)
    return _MOMENT[round_] + datetime.timedelta(seconds=n)


def _adapt(value, connection):
    """The parameter Django's fields make of a value (as `get_db_prep_value` does)."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


class _Plan:
    """One shape's SQL, where each argument goes, and the compiler that reads its rows."""

    def __init__(self, queryset, compiler, sql, params, slots):
        self.queryset, self.compiler, self.sql = queryset, compiler, sql
        self.params, self.slots = params, slots  # slots: per flat argument, its positions
        # The columns' converters (dates, JSON…), found once per connection rather than
        # asked of every field at every read (a tenth of a compiled read's CPU, measured).
        self.converters = weakref.WeakKeyDictionary()
        # Instances made from the rows here rather than by QuerySet (ground.instances says
        # why); other reads (values(), values_list()) keep Django's iterables.
        self.instances = (Instances(compiler) if sql is not None
                          and queryset._iterable_class is ModelIterable else None)

    def bound(self, connection):
        """The kept compiler, on this connection (each thread has its own)."""
        compiler = copy.copy(self.compiler)
        compiler.connection = connection
        return compiler

    def converters_for(self, connection):
        found = self.converters.get(connection)
        if found is None:
            compiler = self.bound(connection)
            fields = [column[0] for column in compiler.select[:compiler.col_count]]
            found = self.converters[connection] = compiler.get_converters(fields)
        return found

    def model_rows(self, connection, params) -> list:
        """The rows, converted, made into instances: what ModelIterable does, minus its
        per-row `Model.__init__` and the query's machinery around one cursor."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        converters = self.converters_for(connection)
        if converters:
            rows = self.bound(connection).apply_converters(rows, converters)
        return self.instances.make(rows, connection.alias)


class _BoundQuery:
    """The queryset's query, answering with the kept compiler bound to this call's SQL."""

    def __init__(self, query, compiler):
        self._query, self._compiler = query, compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler

    def __getattr__(self, name):
        return getattr(self._query, name)


def _compile(build, args, kwargs, round_):
    counter = itertools.count()
    stand_ins = [_stand_ins(a, round_, counter) for a in args]
    try:
        queryset = build(*stand_ins, **kwargs)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ImproperlyConfigured("no prefetch, no related manager")
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            sql, params = None, ()
    except (ValueError, TypeError, OverflowError, ImproperlyConfigured) as error:
        # A value used as more than a value (`date__year` makes dates of it)
        raise ImproperlyConfigured(f"compiled_read({build.__qualname__}): {error}") from error
    return queryset, compiler, sql, tuple(params), _flatten(stand_ins, [])


def _plan(build, args, kwargs) -> _Plan:
    found = []
    for round_ in (0, 1):
        queryset, compiler, sql, params, flat = _compile(build, args, kwargs, round_)
        connection = compiler.connection
        slots = []
        for value in flat:
            adapted = _adapt(value, connection)
            slots.append(tuple(i for i, p in enumerate(params) if p == adapted))
        found.append((queryset, compiler, sql, params, slots))
    (queryset, compiler, sql, params, slots), (_q, _c, sql2, _p, slots2) = found
    if sql is None and sql2 is None:  # an empty list: no row, whatever the values
        return _Plan(queryset, compiler, None, (), [])
    if sql is None or sql != sql2 or slots != slots2 or not all(slots):
        raise ImproperlyConfigured(
            f"compiled_read({build.__qualname__}): each argument must reach the SQL "
            "unchanged, in the same places whatever its value")
    return _Plan(queryset, compiler, sql, params, slots)


def compiled_read(build):
    """Decorator: see the module's docstring."""
    plans: dict[tuple, _Plan] = {}
    lock = threading.Lock()

    @functools.wraps(build)
    def read(*args, **kwargs):
        args = tuple(tuple(sorted(a)) if isinstance(a, Set) else a for a in args)
        key = (tuple(_shape(a) for a in args), tuple(sorted(kwargs.items())))
        plan = plans.get(key)
        if plan is None:
            with lock:  # threads of one process compile a shape once
                plan = plans.get(key)
                if plan is None:
                    plan = plans[key] = _plan(build, args, kwargs)
        if plan.sql is None:
            return []
        template = plan.queryset
        connection = connections[template.db]
        params = list(plan.params)
        for value, positions in zip(_flatten(args, []), plan.slots, strict=True):
            adapted = _adapt(value, connection)
            for i in positions:
                params[i] = adapted
        if plan.instances is not None:
            return plan.model_rows(connection, tuple(params))
        compiler = plan.bound(connection)
        sql, bound = plan.sql, tuple(params)
        compiler.as_sql = lambda *a, **k: (sql, bound)
        converters = plan.converters_for(connection)
        compiler.get_converters = lambda expressions: converters  # results_iter's only use
        # A new queryset sharing the template's state (copy.copy would evaluate it).
        queryset = object.__new__(type(template))
        queryset.__dict__.update(template.__dict__)
        queryset._query = _BoundQuery(template.query, compiler)
        queryset._result_cache = None
        return list(queryset)

    read.plans = plans  # for tests: the shapes compiled so far
    return read
