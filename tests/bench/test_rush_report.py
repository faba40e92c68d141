"""The rush report counts each child's days in the database, not in the words of the answers:
who got every Wednesday, and which bookings were the ones that asked for a new day."""

from django.test import Client

from bench.rush import Recorder, bookings_from_database, in_parts
from reservations.models import Reservation
from tests.bench.portal import book_period
from tests.scenarios.families import GuardianFactory


def test_the_days_and_who_asked_for_them_are_read_from_the_database(parent_client, ready):
    booker, day = ready
    month = f"{day:%Y-%m}"
    other = GuardianFactory(family=booker.child.family).user  # the child's other guardian
    second = Client()
    second.force_login(other)
    rec = Recorder()
    activity = booker.enrolment.activity

    assert book_period(parent_client, booker, month).status_code == 200
    rec.posts[(booker.child.pk, booker.user.pk)] = (1.0, 1.5)
    rec.bookings.append((1.0, booker.user.pk, [booker.child.pk]))
    counted = bookings_from_database(activity, rec)
    assert counted["days"] == 2
    assert (counted["asked"], counted["short"]) == (1, 0)
    assert (counted["confirmed"], counted["waiting"]) == (2, 0)

    # The other guardian books the same child: every day was already asked.
    assert book_period(second, booker, month).status_code == 200
    rec.posts[(booker.child.pk, other.pk)] = (2.0, 2.5)
    rec.bookings.append((2.0, other.pk, [booker.child.pk]))
    counted = bookings_from_database(activity, rec)
    assert counted["new_days"] == [(1.0, True), (2.0, False)]
    assert Reservation.objects.filter(child=booker.child).count() == 2

    # A child without every Wednesday is counted short.
    Reservation.objects.filter(child=booker.child, slot__date=day).delete()
    assert bookings_from_database(activity, rec)["short"] == 1


def test_values_fall_in_the_part_of_the_rush_they_were_sent_in():
    pairs = [(10.0, True), (10.4, True), (11.9, False), (12.0, False), (14.99, True),
             (15.0, False)]
    assert in_parts(pairs, first=10.0, last=15.0, parts=5) == [
        [True, True], [False], [False], [], [True, False]]
