"""The rush report's share of bookings that asked for a new day, by part of the rush: it reads
the portal's own answer, so it must still find the counts in it."""

from bench.rush import SUMMARY_COUNTS, in_parts
from reservations.models import Reservation
from tests.bench.portal import book_period


def test_the_counts_are_found_in_the_portals_answer(parent_client, ready):
    booker, day = ready
    month = f"{day:%Y-%m}"

    first = book_period(parent_client, booker, month)
    again = book_period(parent_client, booker, month)

    assert Reservation.objects.filter(child=booker.child).count() == 2
    # The summary is shown, and said again in the page's live region.
    assert set(SUMMARY_COUNTS.findall(first.content)) == {(b"2", b"0")}
    assert set(SUMMARY_COUNTS.findall(again.content)) == {(b"0", b"0")}  # both already asked


def test_values_fall_in_the_part_of_the_rush_they_were_sent_in():
    pairs = [(10.0, True), (10.4, True), (11.9, False), (12.0, False), (14.99, True),
             (15.0, False)]
    assert in_parts(pairs, first=10.0, last=15.0, parts=5) == [
        [True, True], [False], [False], [], [True, False]]
