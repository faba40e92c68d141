"""The parent pages of an allocation period, through HTTP, in each of its states: before the
window, wishing (and changing, withdrawing, bad input), closed awaiting the result, published
(granted, waiting with today's rank, not granted, the seed and how to verify it) and declining
a granted day with a confirmation step. Everything scoped to the household."""

import datetime
import hashlib
from contextlib import contextmanager

import pytest
import time_machine
from django.urls import reverse

from reservations import draw
from reservations.models import AllocationEntry, AllocationRule, Reservation, Wish
from reservations.services import publish_allocation, run_allocation
from tests.helpers import flash_messages, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.allocation import allocation_activity, household, wish
from tests.scenarios.families import ChildFactory
from tests.scenarios.reservations import BookingPeriodFactory, bookable_activity, ready_child

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def town():
    """Three Wednesdays of one place; two households of one child each."""
    allocated = allocation_activity(days=3, capacity=1)
    [allocated.mine] = household(allocated.activity)
    [allocated.theirs] = household(allocated.activity)
    return allocated


@contextmanager
def as_parent(client, booker, when):
    with time_machine.travel(when, tick=False):
        client.force_login(booker.user)
        yield client


def page(town):
    return reverse("reservations:wishes", args=[town.period.pk])


def ticks(booker, slots):
    return [f"{booker.child.pk}-{slot.pk}" for slot in slots]


def published(town):
    """Both households wished every day; the run is published."""
    for booker in (town.mine, town.theirs):
        wish(booker, town.slots, town.during)
    staff = StaffFactory()
    allocation = run_allocation(town.period.pk, staff, now=town.after)
    return publish_allocation(allocation.pk, staff, now=town.after)


def granted(allocation, booker):
    """One day the published run granted this household's child."""
    return AllocationEntry.objects.filter(allocation=allocation, child=booker.child,
                                          outcome="granted").first()


def test_before_the_window_the_page_says_when_it_opens_and_shows_the_commitment(client, town):
    with as_parent(client, town.mine, town.period.wishes_open_at
                   - datetime.timedelta(minutes=5)):
        response = client.get(page(town))
    text = visible_text(response)
    assert "Les vœux ouvrent le" in text
    assert town.period.draw_commitment in text
    assert 'name="voeu"' not in response.content.decode()


def test_during_the_window_the_rules_come_first_then_the_form(client, town):
    AllocationRule.objects.filter(kind="resident").update(
        explanation="Les enfants qui habitent la commune passent d'abord.")
    with as_parent(client, town.mine, town.during):
        response = client.get(page(town))
    text = visible_text(response)
    assert response.status_code == 200
    assert "Être le premier ne donne aucun avantage :" in text
    assert "l'heure à laquelle vous envoyez vos vœux ne compte pas" in text
    assert town.period.draw_commitment in text
    rules = [str(r.get_kind_display()) for r in AllocationRule.objects.filter(enabled=True)
             .order_by("position")]
    positions = [text.index(rule) for rule in rules]
    assert positions == sorted(positions)  # in the commune's order
    assert "Les enfants qui habitent la commune passent d'abord." in text
    assert text.index(rules[0]) < text.index("Enregistrer mes vœux")
    html = response.content.decode()
    for value in ticks(town.mine, town.slots):
        assert f'value="{value}"' in html
    assert str(town.theirs.child.pk) + "-" not in html  # only the household's children


def test_a_parent_wishes_changes_and_withdraws_until_the_close(client, town):
    first, second, third = town.slots
    with as_parent(client, town.mine, town.during):
        response = client.post(page(town), {
            "enfant": town.mine.child.pk, "voeu": ticks(town.mine, [first, third]),
            f"rang-{town.mine.child.pk}-{third.pk}": "1"})
        assert response.status_code == 303
        assert {(w.slot_id, w.rank) for w in Wish.objects.filter(child=town.mine.child)} == {
            (first.pk, None), (third.pk, 1)}
        shown = client.get(page(town))
        assert "2 vœux enregistrés" in " ".join(flash_messages(shown))
        assert f'id="voeu-{town.mine.child.pk}-{third.pk}" checked' in shown.content.decode()

        client.post(page(town), {"enfant": town.mine.child.pk,
                                 "voeu": ticks(town.mine, [second])})
        assert [w.slot_id for w in Wish.objects.filter(child=town.mine.child)] == [second.pk]

        client.post(page(town), {"enfant": town.mine.child.pk, "retirer": "1",
                                 "voeu": ticks(town.mine, [second])})
        assert not Wish.objects.filter(child=town.mine.child).exists()


@pytest.mark.parametrize("field, value, message", [
    ("rang", "premier", "L'ordre de préférence est un nombre entier de 1 à 1000"),
    ("rang", "0", "L'ordre de préférence est un nombre entier de 1 à 1000"),
    ("voeu", "12-abc", "Un des jours cochés n'est pas reconnu"),
])
def test_bad_input_is_refused_in_french_and_nothing_changes(client, town, field, value,
                                                            message):
    wish(town.mine, town.slots[:1], town.during)
    slot = town.slots[1]
    data = {"enfant": town.mine.child.pk, "voeu": ticks(town.mine, [slot])}
    if field == "rang":
        data[f"rang-{town.mine.child.pk}-{slot.pk}"] = value
    else:
        data["voeu"] = [*data["voeu"], value]
    with as_parent(client, town.mine, town.during):
        response = client.post(page(town), data)
    assert response.status_code == 400
    text = visible_text(response)
    assert "Vos vœux n'ont pas été enregistrés" in text and message in text
    assert [w.slot_id for w in Wish.objects.filter(child=town.mine.child)] == [
        town.slots[0].pk]
    # What was ticked is shown again.
    assert f'id="voeu-{town.mine.child.pk}-{slot.pk}" checked' in response.content.decode()


def test_a_parent_cannot_wish_for_another_households_child(client, town):
    with as_parent(client, town.mine, town.during):
        for data in ({"enfant": town.theirs.child.pk,
                      "voeu": ticks(town.theirs, town.slots[:1])},
                     {"enfant": town.mine.child.pk,
                      "voeu": ticks(town.theirs, town.slots[:1])}):
            response = client.post(page(town), data)
            assert response.status_code in (400, 404)
    assert not Wish.objects.exists()


def test_a_day_outside_the_period_is_refused_with_the_services_words(client, town):
    other = allocation_activity(days=1)
    with as_parent(client, town.mine, town.during):
        response = client.post(page(town), {
            "enfant": town.mine.child.pk, "voeu": ticks(town.mine, other.slots)})
    assert response.status_code == 400
    assert "n'appartient pas à la période" in visible_text(response)


def test_after_the_close_the_page_says_wishes_are_closed_and_when_the_result_comes(client,
                                                                                  town):
    wish(town.mine, town.slots[:2], town.during)
    with as_parent(client, town.mine, town.after):
        response = client.get(page(town))
        text = visible_text(response)
        assert "Vœux clos, résultat le" in text
        assert 'name="voeu"' not in response.content.decode()
        assert text.count(town.mine.child.first_name) >= 2  # the wishes sent, listed
        refused = client.post(page(town), {"enfant": town.mine.child.pk,
                                           "voeu": ticks(town.mine, town.slots)})
    assert refused.status_code == 400
    assert "Les vœux sont clos depuis le" in visible_text(refused)
    assert Wish.objects.filter(child=town.mine.child).count() == 2


def test_the_published_result_says_each_days_fate_the_seed_and_how_to_verify(client, town):
    allocation = published(town)
    with as_parent(client, town.mine, town.after):
        response = client.get(page(town))
        data = client.get(reverse("reservations:allocation_inputs", args=[town.period.pk]))
    text = visible_text(response)
    entries = AllocationEntry.objects.filter(allocation=allocation, child=town.mine.child)
    granted = entries.filter(outcome="granted").count()
    waiting = entries.filter(outcome="waiting").count()
    assert granted and waiting  # one place a day, two children: both happen
    assert text.count("attribué") - text.count("non attribué") >= granted
    assert text.count("en liste d'attente (rang 1) aujourd'hui") == waiting
    assert allocation.seed in text and town.period.draw_commitment in text
    assert hashlib.sha256(allocation.seed.encode()).hexdigest() == town.period.draw_commitment
    assert allocation.result_digest in text and "reproduce_allocation" in text
    # The data offered is what the digest covers: the result can be recomputed from it.
    assert data.status_code == 200
    assert draw.reproduce(data.json(), allocation.seed)[1] == allocation.result_digest
    assert town.theirs.child.first_name not in text


def test_a_parent_declines_a_granted_day_after_confirming_and_the_waiting_child_gets_it(
        client, town):
    allocation = published(town)
    entry = granted(allocation, town.mine)
    url = reverse("reservations:decline", args=[town.period.pk])
    query = {"enfant": entry.child_id, "creneau": entry.slot_id}
    with as_parent(client, town.mine, town.after):
        confirm = client.get(url, query)
        assert "Oui, renoncer à ce jour" in visible_text(confirm)
        # Nothing happens on the way to the confirmation.
        assert Reservation.objects.get(child=town.mine.child, slot=entry.slot).state == (
            "confirmed")
        response = client.post(url, query, follow=True)
    assert "vous avez renoncé" in " ".join(flash_messages(response))
    assert "vous avez renoncé à ce jour" in visible_text(response)
    assert Reservation.objects.get(child=town.mine.child, slot=entry.slot).state == "cancelled"
    assert Reservation.objects.get(child=town.theirs.child, slot=entry.slot).state == (
        "confirmed")


def test_declining_is_refused_in_french_after_the_decline_time(client, town):
    allocation = published(town)
    entry = granted(allocation, town.mine)
    late = town.after + datetime.timedelta(days=town.period.decline_days, hours=1)
    url = reverse("reservations:decline", args=[town.period.pk])
    with as_parent(client, town.mine, late):
        confirm = client.get(url, {"enfant": entry.child_id, "creneau": entry.slot_id})
        assert "Oui, renoncer" not in visible_text(confirm)
        response = client.post(url, {"enfant": entry.child_id, "creneau": entry.slot_id},
                               follow=True)
    assert "Il était possible de renoncer jusqu'au" in " ".join(flash_messages(response))
    assert Reservation.objects.get(child=town.mine.child, slot=entry.slot).state == "confirmed"


def test_a_parent_cannot_decline_or_see_another_households_day(client, town):
    allocation = published(town)
    theirs = granted(allocation, town.theirs)
    url = reverse("reservations:decline", args=[town.period.pk])
    query = {"enfant": theirs.child_id, "creneau": theirs.slot_id}
    with as_parent(client, town.mine, town.after):
        assert client.get(url, query).status_code == 404
        assert client.post(url, query).status_code == 404
    assert Reservation.objects.get(child=town.theirs.child, slot=theirs.slot).state == (
        "confirmed")


def test_the_dashboard_the_list_and_the_calendar_say_where_to_wish(client, town):
    with as_parent(client, town.mine, town.during):
        dashboard = visible_text(client.get(reverse("home")))
        listing = visible_text(client.get(reverse("reservations:wish_periods")))
        calendar = client.get(reverse("reservations:calendar"),
                              {"mois": f"{town.slots[0].date:%Y-%m}"})
    assert "vœux ouverts jusqu'au" in dashboard and "Faire mes vœux" in dashboard
    assert town.period.label in listing and "Faire mes vœux" in listing
    assert page(town) in calendar.content.decode()
    assert "être le premier ne donne aucun avantage" in visible_text(calendar)


def test_a_first_come_period_has_no_wish_page(client, town):
    plain = BookingPeriodFactory()
    with as_parent(client, town.mine, town.during):
        assert client.get(reverse("reservations:wishes", args=[plain.pk])).status_code == 404


def test_a_child_who_cannot_wish_is_told_why_and_a_household_with_none_gets_no_form(client,
                                                                                     town):
    ChildFactory(family=town.mine.family, first_name="Zoé")
    with as_parent(client, town.mine, town.during):
        text = visible_text(client.get(page(town)))
    assert "Zoé" in text and "Enregistrer mes vœux" in text  # the other child still wishes
    # Enrolled in another activity only (of another year: his file for this one is missing).
    elsewhere = ready_child(bookable_activity())
    with as_parent(client, elsewhere, town.during):
        response = client.get(page(town))
    assert f"{elsewhere.child.first_name} : " in visible_text(response)
    assert "Enregistrer mes vœux" not in visible_text(response)
