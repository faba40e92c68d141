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
from tests.scenarios.reservations import BookingPeriodFactory

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
    [day] = queries.slot_rows_on(booker.child.pk, [(activity.pk, slot.site_id)],
                                 [(activity.pk, slot.date)])
    assert values(day.slot) == values(slot) and values(day.slot.unit) == values(slot.unit)
    assert day.slot.age_group == slot.age_group
    assert values(day.reservation) == values(reservation) and day.justification is None
    assert queries.slot_rows_on(booker.child.pk + 1, [(activity.pk, slot.site_id)],
                                [(activity.pk, slot.date)])[0].reservation is None
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
    weekday = slot.date.isoweekday()
    for iso_weekday, expected in ((None, [slot]), (weekday, [slot]), (weekday % 7 + 1, [])):
        read = queries.period_slots(activity, slot.unit, {slot.site_id: slot.site}, slot.date,
                                    slot.date, iso_weekday)
        assert [values(s) for s in read] == [values(s) for s in expected]
        assert [s.age_group for s in read] == [s.age_group for s in expected]


def test_the_booking_reads_bring_what_the_orm_brought(booker, slot, activity,
                                                      django_assert_num_queries):
    """The user with his guardian and family, the period with its activity, the enrolments
    with the activity's year and deadline rule and the site: read by hand, then used with no
    further query, as the ORM's select_related left them."""
    from familles.models import User
    from familles.queries import user_with_family
    from inscriptions.models import Enrolment

    expected = User.objects.select_related("guardian__family").get(pk=booker.user.pk)
    with django_assert_num_queries(1):
        user = user_with_family(booker.user.pk)
        assert values(user) == values(expected)
        assert values(user.guardian) == values(expected.guardian)
        assert values(user.guardian.family) == values(expected.guardian.family)
    orm = Enrolment.objects.select_related(
        "activity__school_year", "activity__deadline_rule", "site").get(child=booker.child)
    assert getattr(orm.activity, "deadline_rule", None) is not None  # the rule's own case
    with django_assert_num_queries(1):
        [enrolment] = queries.enrolments_read([booker.child.pk], [activity.pk])
        assert values(enrolment) == values(orm)
        assert values(enrolment.activity) == values(orm.activity)
        assert values(enrolment.activity.school_year) == values(orm.activity.school_year)
        assert values(enrolment.activity.deadline_rule) == values(orm.activity.deadline_rule)
        assert values(enrolment.site) == values(orm.site)
    period = BookingPeriod.objects.filter(activity=activity).first() or BookingPeriodFactory(
        activity=activity)
    with django_assert_num_queries(1):
        read = queries.period_with_activity(period.pk)
        assert values(read) == values(period) and values(read.activity) == values(activity)
    assert queries.first_day_of([slot.pk, 2**70]) == slot.date


def test_an_activity_without_deadline_rule_is_read_by_the_orm(booker, activity,
                                                              django_assert_num_queries):
    """Only the ORM records "no rule" on an activity: read by hand, every deadline would ask
    the database again."""
    activity.deadline_rule.delete()
    with django_assert_num_queries(2):  # the hand-written read, then the ORM's
        [enrolment] = queries.enrolments_read([booker.child.pk], [activity.pk])
    with django_assert_num_queries(0):
        assert getattr(enrolment.activity, "deadline_rule", None) is None


def test_the_months_year_and_enrolments_in_one_read(booker, slot, activity,
                                                    django_assert_num_queries):
    """The calendar's first read: the month's school year, the child's file state for it and
    his validated enrolments of that year, with what they bring, in one statement."""
    from inscriptions.models import Enrolment

    year = activity.school_year
    with django_assert_num_queries(1):
        found, enrolments = queries.year_and_enrolments(booker.child.pk, slot.date, slot.date)
    assert values(found) == values(year)
    assert found.file_state == AnnualFile.objects.get(child=booker.child,
                                                      school_year=year).state
    expected = list(Enrolment.objects.filter(
        child=booker.child, state=Enrolment.State.VALIDATED, activity__school_year=year,
    ).select_related("activity__deadline_rule", "site"))
    assert expected and [values(e) for e in enrolments] == [values(e) for e in expected]
    brought = [(e.activity.school_year.pk, e.activity.deadline_rule.pk, e.site.pk)
               for e in expected]
    with django_assert_num_queries(0):
        assert [(e.activity.school_year.pk, e.activity.deadline_rule.pk, e.site.pk)
                for e in enrolments] == brought
    # Another child: the year, no file, no enrolment.
    other, none = queries.year_and_enrolments(booker.child.pk + 1000, slot.date, slot.date)
    assert other.pk == year.pk and other.file_state is None and none == []
    before = year.start_date.replace(year=year.start_date.year - 5)
    assert queries.year_and_enrolments(booker.child.pk, before, before) == (None, [])


@pytest.mark.parametrize("with_rule", [True, False])
def test_the_months_read_names_the_siblings_enrolled_in_each_activity(
        booker, slot, activity, guardian, with_rule, django_assert_num_queries):
    """« aussi pour … »: of the brothers and sisters given, those validated in each activity,
    in the same statement (an activity without a deadline rule: the enrolments read again,
    by hand then by the ORM, and the siblings' in one more); a sister only requested, or
    enrolled elsewhere, is not named."""
    from inscriptions.models import Enrolment
    from tests.scenarios.enrolments import ActivityFactory, EnrolmentFactory
    from tests.scenarios.reservations import ready_child

    enrolled = ready_child(activity, guardian).child
    requested = ready_child(activity, guardian)
    Enrolment.objects.filter(pk=requested.enrolment.pk).update(state=Enrolment.State.REQUESTED)
    elsewhere = ready_child(ActivityFactory(school_year=activity.school_year), guardian).child
    EnrolmentFactory(child=elsewhere, activity=ActivityFactory(school_year=activity.school_year))
    if not with_rule:
        activity.deadline_rule.delete()
    siblings = [enrolled.pk, requested.child.pk, elsewhere.pk]
    with django_assert_num_queries(1 if with_rule else 4):
        _year, [enrolment] = queries.year_and_enrolments(
            booker.child.pk, slot.date, slot.date, siblings)
    assert enrolment.activity_id == activity.pk
    assert enrolment.sibling_ids == [enrolled.pk]
