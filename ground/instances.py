"""Model instances made from a compiled read's rows without `Model.__init__`.

Django's `ModelIterable` makes each instance through `Model.from_db` → `Model.__init__`,
which walks every field, sets each one through its descriptor and sends `pre_init` and
`post_init`: on opening day a booking answer makes about 130 instances (days with their
activity, unit and period). Made here instead, the calendar page took about 12 % less CPU and
the period booking about 15 % less (old and new alternating in one process, see
docs/performance.md). For a plain model, what `__init__` leaves behind is the row's values in
the instance's `__dict__` and a `ModelState` saying "from this database, not being added";
this module writes exactly that, and falls back to `from_db` whenever the model is not plain:
its own `__init__` or `from_db`, a `pre_init`/`post_init` receiver (checked at every read, so
that one connected later is honoured), or a column whose descriptor does more than store the
value (only Django's `DeferredAttribute` and `ForeignKeyDeferredAttribute` are trusted; the
latter's `__set__` only drops a cached related object, of which a new instance has none).

The select_related tree is walked as `RelatedPopulator` does: a related object whose primary
key is NULL is None, set on its parent through the same `local_setter`, and given its
parent through `remote_setter`."""

import operator

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)
_FROM_DB = Model.from_db.__func__


def _plain(model, init_list) -> bool:
    if model.__init__ is not Model.__init__ or model.from_db.__func__ is not _FROM_DB:
        return False
    return all(type(_class_attribute(model, name)) in _PLAIN_DESCRIPTORS for name in init_list)


def _class_attribute(model, name):
    """The descriptor itself (a field's may sit on a parent class), not what it answers."""
    return next((klass.__dict__[name] for klass in model.__mro__ if name in klass.__dict__),
                None)


class _Node:
    """One model of the read: which of the row's columns are its own, and its related ones."""

    def __init__(self, klass_info, select, *, root):
        fields = klass_info["select_fields"]
        self.model = klass_info["model"]
        if root or not klass_info["from_parent"]:
            self.start, self.end = fields[0], fields[-1] + 1
            self.init_list = [column[0].target.attname for column in select[self.start:self.end]]
            self.reorder = None
        else:  # a child model's parent columns, selected earlier, in __init__'s order
            index = {select[i][0].target.attname: i for i in fields}
            self.init_list = [f.attname for f in self.model._meta.concrete_fields
                              if f.attname in index]
            self.reorder = operator.itemgetter(*[index[name] for name in self.init_list])
        self.pk_idx = self.init_list.index(self.model._meta.pk_fields[0].attname)
        self.local_setter = klass_info.get("local_setter")
        self.remote_setter = klass_info.get("remote_setter")
        self.children = [_Node(info, select, root=False)
                         for info in klass_info.get("related_klass_infos", [])]
        self.plain = _plain(self.model, self.init_list)

    def models(self):
        yield self.model
        for child in self.children:
            yield from child.models()

    def values(self, row):
        if self.reorder is not None:
            values = self.reorder(row)
            return values if isinstance(values, tuple) else (values,)
        return row[self.start:self.end]

    def make(self, row, db, fast):
        """The instance, with its related ones; None for a related row that is not there."""
        values = self.values(row)
        if self.local_setter is not None and values[self.pk_idx] is None:
            return None
        if fast and self.plain:
            obj = self.model.__new__(self.model)
            state = obj._state = ModelState()
            state.adding, state.db = False, db
            obj.__dict__.update(zip(self.init_list, values, strict=True))
        else:
            obj = self.model.from_db(db, self.init_list, values)
        for child in self.children:
            related = child.make(row, db, fast)
            child.local_setter(obj, related)
            if related is not None:
                child.remote_setter(related, obj)
        return obj


class Instances:
    """Turns a compiled read's converted rows into what `ModelIterable` would have made."""

    def __init__(self, compiler):
        self.root = _Node(compiler.klass_info, compiler.select, root=True)
        self.annotations = tuple(compiler.annotation_col_map.items())
        self.models = tuple(set(self.root.models()))

    def make(self, rows, db) -> list:
        fast = not any(pre_init.has_listeners(m) or post_init.has_listeners(m)
                       for m in self.models)
        made = []
        for row in rows:
            obj = self.root.make(row, db, fast)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            made.append(obj)
        return made
