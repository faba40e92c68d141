"""`ground.compiled.compiled_read`: the same rows as the ORM, for every value it is called
with, on whichever database the suite runs (CI: PostgreSQL; `make test`: SQLite)."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils import timezone

from familles.models import Child, Guardian
from ground.compiled import compiled_read, possible_ids
from reservations.models import Slot
from tests.scenarios.families import ChildFactory, GuardianFactory
from tests.scenarios.reservations import SlotFactory

pytestmark = pytest.mark.django_db


@compiled_read
def guardian_with_family(user_id):
    return Guardian.objects.select_related("family", "user").filter(user_id=user_id)


@compiled_read
def children_of(family_id, names):
    return Child.objects.filter(Q(family_id=family_id) | Q(second_family_id=family_id),
                                first_name__in=names).order_by("first_name")


@compiled_read
def slots_between(activity_id, first, last, weekday):
    found = Slot.objects.filter(activity_id=activity_id, date__range=(first, last))
    if weekday is not None:
        found = found.filter(date__iso_week_day=weekday)
    return found.select_related("activity__school_year", "unit").order_by("date")


def test_each_call_reads_its_own_values_with_their_related_rows(django_assert_num_queries):
    first, second = GuardianFactory(), GuardianFactory()
    for guardian in (first, second, first):
        with django_assert_num_queries(1):
            [found] = guardian_with_family(guardian.user_id)
            assert (found.pk, found.family.name, found.user.email) == (
                guardian.pk, guardian.family.name, guardian.user.email)
    assert guardian_with_family(first.user_id + second.user_id + 1000) == []
    assert len(guardian_with_family.plans) == 1  # compiled once for the three calls


def test_lists_of_any_length_and_a_shared_value():
    guardian = GuardianFactory()
    other = ChildFactory(first_name="Zoé")  # another family's: never returned
    for name in ("Anna", "Basile", "Zoé"):
        ChildFactory(family=guardian.family, first_name=name)
    shared = ChildFactory(second_family=guardian.family, first_name="Chloé")
    family = guardian.family_id
    assert [c.first_name for c in children_of(family, ["Zoé"])] == ["Zoé"]
    assert [c.first_name for c in children_of(family, ("Anna", "Chloé", "Zoé"))] == [
        "Anna", "Chloé", "Zoé"]
    assert children_of(other.family_id, ["Anna", "Chloé"]) == []
    assert [c.pk for c in children_of(family, ["Chloé"])] == [shared.pk]
    assert [c.first_name for c in children_of(family, {"Zoé", "Anna"})] == ["Anna", "Zoé"]


def test_dates_and_a_value_that_selects_the_shape():
    first = SlotFactory(date=datetime.date(2026, 10, 7))  # a Wednesday
    activity = first.activity
    SlotFactory(activity=activity, unit=first.unit, site=first.site,
                date=datetime.date(2026, 10, 8))
    SlotFactory(activity=activity, unit=first.unit, site=first.site,
                date=datetime.date(2026, 10, 14))
    october = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    every = slots_between(activity.pk, *october, None)
    assert [s.date.day for s in every] == [7, 8, 14]
    assert every[0].activity.school_year == activity.school_year
    assert [s.date.day for s in slots_between(activity.pk, *october, 3)] == [7, 14]
    assert [s.date.day for s in slots_between(activity.pk, october[0],
                                              datetime.date(2026, 10, 8), 4)] == [8]


def test_aggregates_and_datetimes_are_read_as_the_orm_reads_them():
    @compiled_read
    def joined_since(family_id, moment):
        return Child.objects.filter(family_id=family_id, created_at__gte=moment).values(
            "family_id").annotate(count=Count("pk")).order_by()

    guardian = GuardianFactory()
    ChildFactory(family=guardian.family)
    ChildFactory(family=guardian.family)
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    assert joined_since(guardian.family_id, hour_ago) == [
        {"family_id": guardian.family_id, "count": 2}]
    assert joined_since(guardian.family_id, timezone.now() + datetime.timedelta(hours=1)) == []


def test_an_empty_list_reads_nothing(django_assert_num_queries):
    guardian = GuardianFactory()
    ChildFactory(family=guardian.family)
    with django_assert_num_queries(0):
        assert children_of(guardian.family_id, []) == []


def test_a_value_a_lookup_transforms_is_refused_rather_than_guessed():
    @compiled_read
    def in_year(year):
        return Slot.objects.filter(date__year=year)  # becomes a range of two dates

    with pytest.raises(ImproperlyConfigured):
        in_year(2026)


def test_an_unused_value_is_refused():
    @compiled_read
    def forgets(family_id, unused):
        return Child.objects.filter(family_id=family_id)

    with pytest.raises(ImproperlyConfigured):
        forgets(1, 2)


def test_values_it_cannot_bind_are_refused():
    with pytest.raises(TypeError):
        guardian_with_family(Guardian())
    with pytest.raises(ValueError):
        guardian_with_family(2**64)


def test_ids_typed_into_a_form_are_kept_only_if_a_row_can_have_them():
    assert possible_ids([3, 3, 0, -1, 2**64, 1]) == [1, 3]
