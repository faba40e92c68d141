"""`bench.rush --free`: the parts it can make free are named, a wrong name is refused before
anything starts, and each part made free really costs nothing while the rest still works."""

import re

import pytest
from django.urls import reverse

from bench import ablated, rush
from ground.models import OutboxMessage
from reservations.models import Reservation
from tests.bench.portal import book_period


def test_the_parts_named_are_read_in_order():
    assert ablated.parts_from(" email, answer ,,") == ["email", "answer"]


def test_an_unknown_part_is_refused_with_the_parts_there_are(capsys):
    with pytest.raises(SystemExit):
        rush.parse_args(["--free", "email,templates"])
    error = capsys.readouterr().err
    assert "unknown parts templates" in error
    assert "email, days, month, answer" in error


def test_without_free_the_portal_itself_is_measured():
    assert rush.parse_args([]).free == []


# --- each part is really free, and only it --------------------------------------------------
# The bench's upper bound is only worth what these stand-ins do: each test checks the part
# first with the portal's own code, then made free.

@pytest.fixture
def restored(monkeypatch):
    """What make_free replaces, put back after the test."""
    from reservations.services import booking
    from reservations.templatetags import calendar_days
    from reservations.views import calendar as views

    for module, name in ((booking, "queue_email"), (calendar_days, "activity_html"),
                         (views, "child_month"), (views, "child_days")):
        monkeypatch.setattr(module, name, getattr(module, name))


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
DAY = re.compile(r'id="jour-\d+-\d{8}"')


def test_email_free_books_without_writing_the_summary(parent_client, ready, restored):
    booker, day = ready
    month = f"{day:%Y-%m}"
    assert book_period(parent_client, booker, month).status_code == 200
    assert OutboxMessage.objects.count() == 1
    Reservation.objects.all().delete()

    ablated.make_free(["email"])

    assert book_period(parent_client, booker, month).status_code == 200
    assert Reservation.objects.filter(child=booker.child, state="confirmed").count() == 2
    assert OutboxMessage.objects.count() == 1


def test_month_free_answers_the_calendar_with_a_token_and_no_day(parent_client, ready,
                                                                 restored):
    booker, day = ready
    url = f"{reverse('reservations:calendar')}?enfant={booker.child.pk}&mois={day:%Y-%m}"
    page = parent_client.get(url).content.decode()
    assert len(DAY.findall(page)) == 2

    ablated.make_free(["month"])

    response = parent_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert CSRF.search(page), "the bench takes its token from the page"
    assert not DAY.findall(page)
    assert "n'a pas d'inscription validée" in page  # nothing of the month was read


def test_days_free_reads_the_month_but_writes_no_day(parent_client, ready, restored):
    booker, day = ready
    url = f"{reverse('reservations:calendar')}?enfant={booker.child.pk}&mois={day:%Y-%m}"
    assert len(DAY.findall(parent_client.get(url).content.decode())) == 2

    ablated.make_free(["days"])

    page = parent_client.get(url).content.decode()
    assert CSRF.search(page)
    assert not DAY.findall(page)
    # The month was read (he is enrolled: the words `month` free shows are not there).
    assert "n'a pas d'inscription validée" not in page


def test_answer_free_books_and_answers_without_the_days(parent_client, ready, restored):
    booker, day = ready
    month = f"{day:%Y-%m}"
    assert len(DAY.findall(book_period(parent_client, booker, month).content.decode())) == 2
    Reservation.objects.all().delete()

    ablated.make_free(["answer"])

    response = book_period(parent_client, booker, month)
    assert response.status_code == 200
    assert "2 jour(s) réservé(s)" in response.content.decode()
    assert not DAY.findall(response.content.decode())
    assert Reservation.objects.filter(child=booker.child, state="confirmed").count() == 2
