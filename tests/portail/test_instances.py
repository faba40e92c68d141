"""`ground.instances`: a compiled read's instances are the ones Django's ORM makes (values,
state, related objects and their back links), behave like them afterwards, and Django's own
construction is kept wherever a model is not plain."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.db.models.signals import post_init

from familles.models import Child, Document
from ground.compiled import compiled_read
from tests.scenarios.families import ChildFactory, DocumentFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


@compiled_read
def children_with_households(family_id):
    return (Child.objects.filter(family_id=family_id).select_related("family", "second_family")
            .annotate(documents_count=Count("documents")).order_by("pk"))


@compiled_read
def user_with_family(user_id):
    return get_user_model().objects.select_related("guardian__family").filter(pk=user_id)


@compiled_read
def documents_of(family_id):
    return Document.objects.filter(family_id=family_id).select_related("child").order_by("kind")


def _described(obj, depth=2):
    """Everything an instance carries: its values, its state, its cached related objects."""
    if obj is None:
        return None
    values = {k: v for k, v in vars(obj).items() if k != "_state"}
    state = obj._state
    related = {name: _described(other, depth - 1) if depth else type(other).__name__
               for name, other in state.fields_cache.items()}
    return (type(obj).__name__, values, state.adding, state.db, related)


def test_the_same_instances_as_the_orm_with_a_missing_related_row_and_an_annotation():
    family, other = FamilyFactory(), FamilyFactory()
    shared = ChildFactory(family=family, second_family=other, first_name="Basile")
    alone = ChildFactory(family=family, first_name="Anna")
    DocumentFactory(family=family, child=alone)
    DocumentFactory(family=family, child=alone)
    orm = list(children_with_households.__wrapped__(family.pk))
    made = children_with_households(family.pk)
    assert [_described(c) for c in made] == [_described(c) for c in orm]
    assert [(c.pk, c.documents_count, c.second_family) for c in made] == [
        (shared.pk, 0, other), (alone.pk, 2, None)]
    assert not made[0]._state.adding and made[0]._state.db == "default"


def test_a_reverse_one_to_one_knows_its_way_back():
    guardian = GuardianFactory()
    [user] = user_with_family(guardian.user_id)
    [orm] = user_with_family.__wrapped__(guardian.user_id)
    assert _described(user, depth=3) == _described(orm, depth=3)
    assert user.guardian.user is user  # no query: the back link is set, as Django sets it
    assert user.guardian.family == guardian.family


def test_an_instance_read_so_is_saved_as_an_update_and_refreshed(django_assert_num_queries):
    child = ChildFactory(first_name="Anna")
    family_name = child.family.name
    [made] = children_with_households(child.family_id)
    made.first_name = "Anne"
    made.save(update_fields=["first_name"])
    assert Child.objects.count() == 1
    child.refresh_from_db()
    assert child.first_name == "Anne"
    with django_assert_num_queries(0):
        assert made.family.name == family_name  # read with the row, not again


def test_a_post_init_receiver_connected_later_still_hears_every_instance():
    family = FamilyFactory()
    ChildFactory(family=family)
    ChildFactory(family=family)
    children_with_households(family.pk)  # compiled before the receiver exists
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append((sender, instance.pk))

    post_init.connect(receiver, sender=Child)
    try:
        made = children_with_households(family.pk)
    finally:
        post_init.disconnect(receiver, sender=Child)
    assert heard == [(Child, c.pk) for c in made]
    assert children_with_households(family.pk)[0].family == family


def test_a_file_column_keeps_djangos_construction():
    document = DocumentFactory(child=None)
    [made] = documents_of(document.family_id)
    assert made.child is None and made.pk == document.pk
    assert made.file.name == document.file.name and made.file.instance is made


@compiled_read
def first_names(family_id):
    return Child.objects.filter(family_id=family_id).only("first_name").order_by("pk")


def test_a_deferred_column_is_read_when_asked_for(django_assert_num_queries):
    child = ChildFactory(first_name="Anna", last_name="Martin")
    [made] = first_names(child.family_id)
    [orm] = first_names.__wrapped__(child.family_id)
    assert _described(made) == _described(orm)
    assert made.get_deferred_fields() == orm.get_deferred_fields() and made.get_deferred_fields()
    with django_assert_num_queries(1):
        assert made.last_name == "Martin"
