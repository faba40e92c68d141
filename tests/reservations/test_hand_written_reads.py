"""The hot reads written in SQL (ground/rows.py, the apps' queries modules) give the
instances the ORM gives: every column's value, converted alike (dates, aware datetimes,
booleans, encrypted health fields), on SQLite and PostgreSQL."""

import pytest
from django.utils import timezone

from familles.models import Child
from familles.queries import children_of_family, guardian_emails
from ground import rows
from inscriptions.models import ActivityUnit, AnnualFile, SchoolYear
from inscriptions.queries import files_of
from reservations import queries
from reservations.models import BookingPeriod, Reservation, Slot
from reservations.services import book

pytestmark = pytest.mark.django_db


def values(obj) -> list:
    return [getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields]


@pytest.mark.parametrize("model", [Slot, Reservation, Child, AnnualFile, SchoolYear,
                                   ActivityUnit, BookingPeriod])
def test_each_row_read_by_hand_is_the_orms_instance(model, booker, slot):
    book(booker.family, booker.child.pk, [slot.pk], booker.user)
    assert model.objects.exists()
    for expected in model.objects.all():
        [row] = rows.fetch(f"SELECT {rows.select(model, 't')} FROM {rows.table(model)} t "  # noqa: S608
                           "WHERE t.id = %s", [expected.pk])
        made = rows.instance(model, row)
        assert values(made) == values(expected)
        assert made == expected and made.pk == expected.pk


def test_the_reads_answer_as_their_orm_versions(booker, slot, activity):
    book(booker.family, booker.child.pk, [slot.pk], booker.user)
    reservation = Reservation.objects.get()
    slot.refresh_from_db()
    held = queries.held_on(booker.child.pk, [slot.pk, 2**70])
    assert list(held) == [slot.pk]
    assert values(held[slot.pk][0]) == values(reservation)
    assert held[slot.pk][1] is None
    assert [values(r) for r in queries.requested([booker.child.pk], [slot.pk])] == [
        values(reservation)]
    assert children_of_family(booker.family.pk) == list(
        Child.objects.for_family(booker.family).order_by("first_name", "pk"))
    assert files_of({booker.child.pk}, {activity.school_year_id}) == list(
        AnnualFile.objects.filter(child=booker.child).order_by("-pk"))
    assert guardian_emails({booker.family.pk}) == [(booker.family.pk, booker.user.email)]
    [month] = queries.month_slot_rows(
        booker.child.pk, [(activity.pk, slot.site_id)], slot.date, slot.date)
    assert values(month.slot) == values(slot) and values(month.reservation) == values(
        reservation)
    assert queries.next_bookable_day(booker.child.pk, timezone.localdate()) == slot.date
