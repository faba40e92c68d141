"""Prices of a month's invoice lines: QF bracket, no valid QF, a QF that changes within the
month, outside-commune rate, sibling reduction, a tariff change mid-month, and how euros
are written. Every expected figure comes from the tariff the test sets (`TARIFF`,
tests/scenarios/billing.py)."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from facturation.models import euros
from ground.commune import update_commune
from tests.scenarios.billing import TARIFF, add_tariff, give_qf, line_rows, prepare, weekdays_of
from tests.scenarios.families import ChildFactory, FamilyFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory

pytestmark = pytest.mark.django_db

LOW, MIDDLE, TOP = TARIFF  # (qf_max, commune price, outside price)


def october(activity) -> datetime.date:
    return datetime.date(activity.school_year.start_date.year, 10, 1)


def book_days(activity, child, days, family=None):
    """Confirmed reservations of the child on the activity's (first unit's) slots."""
    for day in days:
        slot = (activity.slots.filter(date=day).first()
                or SlotFactory(activity=activity, date=day))
        ReservationFactory(slot=slot, child=child, family=family or child.family)


def iso(days) -> list[str]:
    return [day.isoformat() for day in days]


@pytest.mark.parametrize(("qf", "expected"), [
    (0, LOW[1]),
    (LOW[0], LOW[1]),            # on the bound: still the lower bracket
    (LOW[0] + 1, MIDDLE[1]),     # just above
    (MIDDLE[0], MIDDLE[1]),
    (MIDDLE[0] + 1, TOP[1]),
    (9999, TOP[1]),
])
def test_the_qf_bracket_sets_the_unit_price(priced, qf, expected):
    child = ChildFactory()
    give_qf(child.family, qf)
    wednesdays = weekdays_of(october(priced), 2)
    book_days(priced, child, wednesdays)

    invoice = prepare(october(priced))[child.family.pk]

    assert line_rows(invoice) == [(child.pk, "Journée", iso(wednesdays), len(wednesdays),
                                   expected, len(wednesdays) * expected)]
    assert invoice.total_cents == len(wednesdays) * expected


def test_without_a_valid_qf_the_family_pays_the_top_bracket(priced):
    never = ChildFactory()
    expired = ChildFactory()
    month = october(priced)
    give_qf(expired.family, 300, valid_until=month - datetime.timedelta(days=1))
    day = weekdays_of(month, 2)[0]
    book_days(priced, never, [day])
    book_days(priced, expired, [day])

    invoices = prepare(month)

    assert invoices[never.family.pk].lines.get().unit_price_cents == TOP[1]
    assert invoices[expired.family.pk].lines.get().unit_price_cents == TOP[1]


def test_the_commune_may_choose_the_lowest_bracket_for_families_without_qf(priced, settings):
    update_commune(no_qf_bracket="bottom")
    child = ChildFactory()
    book_days(priced, child, [weekdays_of(october(priced), 2)[0]])

    invoice = prepare(october(priced))[child.family.pk]

    assert invoice.lines.get().unit_price_cents == LOW[1]


def test_a_qf_valid_part_of_the_month_prices_each_day_by_the_qf_in_force(priced):
    child = ChildFactory()
    wednesdays = weekdays_of(october(priced), 2)
    # No QF for the first two Wednesdays, a low QF from the day after the second one.
    give_qf(child.family, 450, valid_from=wednesdays[1] + datetime.timedelta(days=1))
    book_days(priced, child, wednesdays)

    invoice = prepare(october(priced))[child.family.pk]

    rest = wednesdays[2:]
    assert sorted((line.dates, line.quantity, line.unit_price_cents, line.amount_cents)
                  for line in invoice.lines.all()) == sorted([
        (iso(wednesdays[:2]), 2, TOP[1], 2 * TOP[1]),
        (iso(rest), len(rest), LOW[1], len(rest) * LOW[1]),
    ])
    assert invoice.total_cents == 2 * TOP[1] + len(rest) * LOW[1]


def test_a_new_qf_replaces_the_old_one_from_its_first_day(priced):
    child = ChildFactory()
    wednesdays = weekdays_of(october(priced), 2)
    change = wednesdays[2]
    give_qf(child.family, 1000, valid_until=change - datetime.timedelta(days=1))
    give_qf(child.family, 500, valid_from=change)
    book_days(priced, child, wednesdays)

    invoice = prepare(october(priced))[child.family.pk]

    assert {line.unit_price_cents: line.dates for line in invoice.lines.all()} == {
        MIDDLE[1]: iso(wednesdays[:2]), LOW[1]: iso(wednesdays[2:])}


@pytest.mark.parametrize("postal_code", ["29200", "75001", "56"])
def test_a_family_living_outside_the_commune_pays_the_outside_price(priced, settings,
                                                                   postal_code):
    update_commune(postal_codes="56000, 56100")
    outside = ChildFactory(family=FamilyFactory(postal_code=postal_code))
    inside = ChildFactory(family=FamilyFactory(postal_code="56100"))
    for child in (outside, inside):
        give_qf(child.family, 800)
    day = weekdays_of(october(priced), 2)[0]
    book_days(priced, outside, [day])
    book_days(priced, inside, [day])

    invoices = prepare(october(priced))

    assert invoices[outside.family.pk].lines.get().unit_price_cents == MIDDLE[2]
    assert invoices[inside.family.pk].lines.get().unit_price_cents == MIDDLE[1]


def test_postal_codes_written_with_spaces_in_the_setting_still_count_as_the_commune(
        priced):
    update_commune(postal_codes="56000,56100 ")
    child = ChildFactory(family=FamilyFactory(postal_code="56100 "))
    give_qf(child.family, 800)
    book_days(priced, child, weekdays_of(october(priced), 2)[:1])

    invoice = prepare(october(priced))[child.family.pk]

    assert invoice.lines.get().unit_price_cents == MIDDLE[1]


def test_siblings_the_eldest_pays_full_price_the_younger_ones_the_reduction(priced):
    unit = priced.units.get()
    # A tariff whose reduction lands on half a cent: 15 % off 250 = 212.5 → 213 (half up).
    add_tariff(unit, october(priced), brackets=[(None, 250, 250)], sibling_reduction_percent=15)
    family = FamilyFactory()
    # Created youngest first: the order of birth counts, not the order of creation.
    youngest = ChildFactory(family=family, birth_date=datetime.date(2020, 5, 2))
    eldest = ChildFactory(family=family, birth_date=datetime.date(2016, 1, 9))
    middle = ChildFactory(family=family, birth_date=datetime.date(2018, 7, 30))
    days = weekdays_of(october(priced), 2)[:2]
    for child in (youngest, eldest, middle):
        book_days(priced, child, days)

    invoice = prepare(october(priced))[family.pk]

    reduced = int((Decimal(250) * Decimal("0.85")).quantize(Decimal(1), ROUND_HALF_UP))
    assert reduced == 213
    assert {line.child_id: line.unit_price_cents for line in invoice.lines.all()} == {
        eldest.pk: 250, middle.pk: reduced, youngest.pk: reduced}
    assert invoice.total_cents == 2 * (250 + 2 * reduced)
    # Lines are listed eldest first.
    assert [line.child_id for line in invoice.lines.all()] == [eldest.pk, middle.pk,
                                                               youngest.pk]


def test_an_only_child_pays_full_price_even_with_a_sibling_reduction(priced):
    add_tariff(priced.units.get(), october(priced), brackets=[(None, 333, 333)],
               sibling_reduction_percent=50)
    child = ChildFactory()
    book_days(priced, child, weekdays_of(october(priced), 2)[:1])

    assert prepare(october(priced))[child.family.pk].lines.get().unit_price_cents == 333


def test_a_tariff_change_mid_month_gives_two_lines_with_two_prices(priced):
    child = ChildFactory()
    give_qf(child.family, 500)
    wednesdays = weekdays_of(october(priced), 2)
    change = wednesdays[1] + datetime.timedelta(days=1)
    add_tariff(priced.units.get(), change, brackets=[(600, 275, 425), (None, 800, 990)])
    book_days(priced, child, wednesdays)

    invoice = prepare(october(priced))[child.family.pk]

    after = wednesdays[2:]
    assert sorted((line.dates, line.quantity, line.unit_price_cents)
                  for line in invoice.lines.all()) == sorted([
        (iso(wednesdays[:2]), 2, LOW[1]), (iso(after), len(after), 275)])
    assert invoice.total_cents == 2 * LOW[1] + len(after) * 275


@pytest.mark.parametrize(("cents", "text"), [
    (0, "0,00 €"),
    (5, "0,05 €"),
    (250, "2,50 €"),
    (1234, "12,34 €"),
    (100000, "1\u202f000,00 €"),
    (123456789, "1\u202f234\u202f567,89 €"),
    (-1234, "-12,34 €"),
])
def test_euros_are_written_the_french_way(cents, text):
    assert euros(cents) == text
