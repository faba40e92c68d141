"""The attestation fiscale's figures: what a household paid in the year for the childcare of
its children under 6 on 1 January, meals excluded, refunds and credit notes deducted, a
payment split pro rata over its invoice's lines; shared custody: each household its own.
Every expected amount is worked out by hand in the test from the scenario."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from facturation.models import CreditNote, Payment
from facturation.services.attestations import fiscal_figures
from tests.scenarios.attestations import YEAR, catalogue, issued, paid
from tests.scenarios.families import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db

JAN, MAR = datetime.date(YEAR, 1, 20), datetime.date(YEAR, 3, 10)


@pytest.fixture
def cat(db):
    return catalogue()


@pytest.fixture
def family(db):
    return FamilyFactory(name="Famille Rivière")


def amounts(figures):
    return {c["name"]: c["amount_cents"] for c in figures["children"]}


def test_a_partial_payment_is_split_pro_rata_meals_and_older_children_left_out(cat, family):
    lina = ChildFactory(family=family, first_name="Lina", last_name="Rivière",
                        birth_date=datetime.date(2020, 3, 14))   # 4 on 1 January
    tom = ChildFactory(family=family, first_name="Tom", last_name="Rivière",
                       birth_date=datetime.date(2017, 6, 1))     # 7: not counted
    invoice = issued(family, [
        (lina, cat.day, 4, 1000),    # 40 € of leisure centre, 20 % of it food
        (lina, cat.meal, 4, 300),    # 12 € of canteen: food only
        (lina, cat.evening, 2, 500),  # 10 € of after-school care
        (tom, cat.day, 4, 1000),     # 40 €, Tom is over 6
    ], month=1)                      # total 102 €
    paid(invoice, 5100, MAR)         # half of it

    figures = fiscal_figures(family, YEAR)

    # Half of Lina's childcare: (40 € × 80 % + 10 €) / 2 = 21 €; food: (8 € + 12 €) / 2.
    assert amounts(figures) == {"Lina Rivière": 2100}
    assert figures["children"][0]["meals_cents"] == 1000
    assert figures["total_cents"] == 2100
    assert figures["paid_cents"] == 5100


def test_a_child_six_on_1_january_is_out_and_one_a_day_younger_is_in(cat, family):
    six = ChildFactory(family=family, first_name="Anna", birth_date=datetime.date(YEAR - 6, 1, 1))
    five = ChildFactory(family=family, first_name="Ben", birth_date=datetime.date(YEAR - 6, 1, 2))
    invoice = issued(family, [(six, cat.morning, 10, 150), (five, cat.morning, 10, 150)], 2)
    paid(invoice, 3000, MAR)

    figures = fiscal_figures(family, YEAR)

    assert [c["name"] for c in figures["children"]] == [f"Ben {five.last_name}"]
    assert figures["total_cents"] == 1500


def test_payments_count_in_the_paris_year_they_were_received(cat, family):
    lina = ChildFactory(family=family, birth_date=datetime.date(2021, 5, 5))
    december = issued(family, [(lina, cat.morning, 10, 200)], month=12, year=YEAR - 1)
    paid(december, 1000, datetime.date(YEAR - 1, 12, 31), hour=23, minute=30)  # last year
    paid(december, 600, datetime.date(YEAR, 1, 1), hour=0, minute=30)  # 23:30 UTC, 31 Dec
    november = issued(family, [(lina, cat.morning, 5, 200)], month=11)
    paid(november, 1000, datetime.date(YEAR + 1, 1, 3))  # next year's attestation

    assert fiscal_figures(family, YEAR)["total_cents"] == 600
    assert fiscal_figures(family, YEAR - 1)["total_cents"] == 1000


def test_shared_custody_each_household_attests_what_it_paid_itself(cat):
    mother, father = FamilyFactory(name="Famille Morel"), FamilyFactory(name="Famille Dubois")
    noe = ChildFactory(family=mother, second_family=father, first_name="Noé",
                       last_name="Morel", birth_date=datetime.date(2021, 2, 2))
    # Each household is invoiced for its own weeks (the one that booked pays).
    paid(issued(mother, [(noe, cat.day, 3, 1000)], 2), 3000, MAR)
    father_invoice = issued(father, [(noe, cat.day, 2, 1000), (noe, cat.meal, 2, 500)], 2)
    paid(father_invoice, 3000, MAR)

    # Mother: 30 € × 80 %. Father: 20 € × 80 % (the meals are food).
    assert fiscal_figures(mother, YEAR)["total_cents"] == 2400
    assert fiscal_figures(father, YEAR)["total_cents"] == 1600


def test_credit_notes_refunds_cesu_and_carried_payments_are_deducted(cat, family):
    lina = ChildFactory(family=family, birth_date=datetime.date(2021, 5, 5))
    # January billed 10 evenings (50 €), paid in full, then cancelled by a credit note: the
    # corrective invoice bills 6 evenings (30 €); 30 € of the payment are carried to it, the
    # 20 € left are to be refunded.
    wrong = issued(family, [(lina, cat.evening, 10, 500)], month=1)
    paid(wrong, 5000, datetime.date(YEAR, 2, 5))
    right = issued(family, [(lina, cat.evening, 6, 500)], month=1)
    CreditNote.objects.create(invoice=wrong, number="AV-T-1", amount_cents=5000,
                              reason="corrigée", issued_at=wrong.issued_at)
    paid(right, 3000, datetime.date(YEAR, 3, 1), method=Payment.Method.CARRIED,
         carried_from=wrong)
    # February: 20 € of care, 5 € paid twice online (flagged for refund), 10 € in CESU.
    february = issued(family, [(lina, cat.morning, 10, 200)], month=2)
    paid(february, 1000, MAR, method=Payment.Method.CARD)
    paid(february, 1000, MAR, method=Payment.Method.CARD, flagged_for_refund=True)
    paid(february, 1000, MAR, method=Payment.Method.CESU)

    figures = fiscal_figures(family, YEAR)

    # 30 € of January's money pays the 6 evenings; 10 € card pays February; CESU is aid.
    assert figures["total_cents"] == 3000 + 1000
    assert figures["cesu_cents"] == 1000
    assert figures["paid_cents"] == 5000 + 1000 + 1000  # money in: payment, card, CESU


def test_no_child_under_six_is_said_in_french(cat, family):
    tom = ChildFactory(family=family, birth_date=datetime.date(2015, 1, 1))
    paid(issued(family, [(tom, cat.day, 2, 1000)], 2), 2000, MAR)

    with pytest.raises(ValidationError) as error:
        fiscal_figures(family, YEAR)

    assert "Aucun enfant de votre foyer n'avait moins de 6 ans au 1er janvier 2025" in (
        error.value.messages[0])


def test_a_year_without_payment_is_said_in_french(cat, family):
    lina = ChildFactory(family=family, birth_date=datetime.date(2021, 5, 5))
    paid(issued(family, [(lina, cat.day, 2, 1000)], 2), 2000, MAR)

    with pytest.raises(ValidationError) as error:
        fiscal_figures(family, YEAR - 2)

    assert error.value.messages == [
        "Aucun paiement reçu en 2023 : il n'y a pas d'attestation fiscale à établir pour "
        "cette année."]


def test_an_unpaid_childcare_invoice_is_named(cat, family):
    lina = ChildFactory(family=family, birth_date=datetime.date(2021, 5, 5))
    paid(issued(family, [(lina, cat.meal, 10, 300)], 1), 3000, MAR)  # meals only: paid
    unpaid = issued(family, [(lina, cat.day, 2, 1000)], 2)

    with pytest.raises(ValidationError) as error:
        fiscal_figures(family, YEAR)

    assert error.value.messages == [
        f"La facture {unpaid.number} n'est pas encore payée : l'attestation fiscale ne "
        "compte que les frais de garde effectivement payés en 2025."]
