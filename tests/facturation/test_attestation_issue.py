"""Issuing attestations: numbered per kind and year without gaps, frozen (never changed nor
deleted), re-issued as a new version that says what it replaces; the January run drafts the
attestations fiscales for staff, publishing them e-mails the families; the PDF holds the
figures, the régie, the number and the verification code; presence and payments statements."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from facturation.attestation_pdf import render_attestation_pdf_bytes, store_attestation_pdf
from facturation.models import Attestation, Payment
from facturation.services import attestations
from facturation.tasks import prepare_fiscal_attestations
from ground import french
from ground.commune import commune, update_commune
from ground.models import OutboxMessage
from tests.helpers import pdf_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.attestations import YEAR, catalogue, issued, paid, paris, present
from tests.scenarios.families import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db

MAR = datetime.date(YEAR, 3, 10)
ISSUE_DAY = paris(datetime.date(YEAR + 1, 1, 15), 10)


@pytest.fixture
def cat(db):
    return catalogue()


@pytest.fixture
def household(cat):
    """A family with a child of 3 whose 40 € of Wednesdays (20 % food) were paid in March:
    32 € of childcare."""
    guardian = GuardianFactory(family__name="Famille Rivière", user__email="riviere@example.org")
    family = guardian.family
    lina = ChildFactory(family=family, first_name="Lina", last_name="Rivière",
                        birth_date=datetime.date(2021, 9, 9))
    paid(issued(family, [(lina, cat.day, 4, 1000)], month=2), 4000, MAR)
    return family


def request(family, kind=Attestation.Kind.FISCAL, **kwargs):
    kwargs.setdefault("year", YEAR)
    return attestations.request_attestation(family, kind, user=None, now=ISSUE_DAY, **kwargs)


def test_numbers_follow_per_kind_and_issue_year_without_gaps(household, cat):
    other = FamilyFactory()
    paid(issued(other, [(ChildFactory(family=other, birth_date=datetime.date(2022, 1, 1)),
                         cat.morning, 10, 100)], 2), 1000, MAR)

    first = request(household)
    second = request(other)
    statement = request(household, Attestation.Kind.PAYMENTS)

    assert (first.number, second.number) == (f"AF-{YEAR + 1}-000001", f"AF-{YEAR + 1}-000002")
    assert statement.number == f"RP-{YEAR + 1}-000001"
    assert first.total_cents == 3200
    assert request(household) == first  # asked again: the same attestation, not a second one


def test_an_issued_attestation_never_changes_nor_disappears(household):
    attestation = request(household)

    attestation.total_cents = 1
    with pytest.raises(ValidationError):
        attestation.save()
    with pytest.raises(ValidationError):
        attestation.delete()
    with pytest.raises(ValidationError):
        Attestation.objects.filter(pk=attestation.pk).delete()
    assert Attestation.objects.get(pk=attestation.pk).total_cents == 3200


def test_reissuing_makes_a_new_version_that_says_what_it_replaces(household, cat):
    old = request(household)
    invoice = household.invoices.get()
    lina = household.children.get()
    paid(issued(household, [(lina, cat.day, 1, 1000)], month=4), 1000, MAR)  # found later
    staff = StaffFactory()

    new = attestations.reissue(old.pk, staff, now=ISSUE_DAY)

    assert new.replaces == old and new.number == f"AF-{YEAR + 1}-000002"
    assert new.total_cents == 3200 + 800
    assert attestations.current_fiscal(household, YEAR) == new
    text = pdf_text(render_attestation_pdf_bytes(new))
    assert f"Cette attestation annule et remplace l'attestation n° {old.number}." in text
    with pytest.raises(ValidationError):
        attestations.reissue(old.pk, staff)  # a replaced version is not re-issued again
    mail = OutboxMessage.objects.get(template="attestation_issued")
    assert mail.to == ["riviere@example.org"] and old.number in mail.body_text
    assert invoice.number  # untouched


def test_the_fiscal_pdf_holds_the_regie_the_child_the_amount_and_the_code(household, settings):
    update_commune(regie_siret="215 600 000 00008")
    attestation = request(household)

    text = pdf_text(render_attestation_pdf_bytes(attestation))

    town = commune()
    assert f"Mairie {french.de(town.name)}" in text and f"Régie {town.service_name}" in text
    assert "SIRET : 215 600 000 00008" in text
    assert "Attestation fiscale (frais de garde)" in text
    assert f"N° {attestation.number}, établie le 15 janvier {YEAR + 1}" in text
    assert f"moins de 6 ans au 1er janvier {YEAR}" in text
    assert "Lina Rivière 9 septembre 2021 32,00 €" in text
    assert "Total des frais de garde 32,00 €" in text
    assert "Le régisseur" in text
    assert f"Code de vérification : {attestation.verification_code}." in text


def test_the_pdf_is_stored_once_and_never_for_a_draft(household):
    attestation = request(household)
    stored = store_attestation_pdf(attestation.pk)
    name = stored.pdf.name

    assert store_attestation_pdf(attestation.pk).pdf.name == name
    attestations.prepare_fiscal_drafts(YEAR - 1)  # nothing paid then: no draft
    draft = Attestation.objects.create(kind=Attestation.Kind.FISCAL, family=FamilyFactory(),
                                       year=YEAR)
    assert store_attestation_pdf(draft.pk) is None


def test_january_drafts_for_staff_then_publishing_e_mails_each_family(household, cat):
    too_old = FamilyFactory()  # paid, but for a child of 9: nothing to attest
    paid(issued(too_old, [(ChildFactory(family=too_old, birth_date=datetime.date(2016, 1, 1)),
                           cat.day, 1, 1000)], 2), 1000, MAR)

    with time_machine.travel(ISSUE_DAY):
        assert prepare_fiscal_attestations() == 1
        assert prepare_fiscal_attestations() == 1  # safe to run twice
    draft = Attestation.objects.get()
    assert (draft.family, draft.state, draft.number, draft.total_cents) == (
        household, Attestation.State.DRAFT, None, 3200)
    assert not OutboxMessage.objects.exists()

    staff = StaffFactory()
    assert attestations.publish([draft.pk], staff, now=ISSUE_DAY) == 1
    assert attestations.publish([draft.pk], staff, now=ISSUE_DAY) == 0

    draft.refresh_from_db()
    assert draft.state == Attestation.State.ISSUED and draft.number == f"AF-{YEAR + 1}-000001"
    mail = OutboxMessage.objects.get()
    assert mail.to == ["riviere@example.org"]
    assert mail.subject == f"Attestation fiscale (frais de garde) n° {draft.number}"
    assert "32,00 €" in mail.body_text and "« Mes attestations »" in mail.body_text
    with time_machine.travel(ISSUE_DAY):
        prepare_fiscal_attestations()
    assert Attestation.objects.count() == 1  # issued households are left alone


def test_a_parent_cannot_issue_behind_a_draft_under_review(household):
    attestations.prepare_fiscal_drafts(YEAR)

    with pytest.raises(ValidationError) as error:
        request(household)

    assert "en cours de vérification par le service" in error.value.messages[0]


def test_only_finished_years_can_be_asked(household):
    with pytest.raises(ValidationError) as error:
        request(household, year=YEAR + 1)

    assert error.value.messages == [f"Choisissez une année civile terminée (avant {YEAR + 1})."]


def test_presence_counts_days_and_hours_per_activity_from_the_registers(cat, settings):
    update_commune(caf_care_hours="real")
    family = FamilyFactory()
    lina = ChildFactory(family=family, first_name="Lina", last_name="Rivière")
    wednesday, thursday = datetime.date(YEAR, 3, 5), datetime.date(YEAR, 3, 6)
    present(lina, cat.day, wednesday)
    present(lina, cat.day, datetime.date(YEAR, 3, 12), status="absent")
    present(lina, cat.morning, thursday, datetime.time(7, 45), datetime.time(8, 35))
    present(lina, cat.evening, thursday, datetime.time(16, 30), datetime.time(18, 0))
    present(lina, cat.evening, datetime.date(YEAR, 3, 7))  # no times: the unit's 2.5 h
    present(lina, cat.day, datetime.date(YEAR, 4, 2))  # after the period

    attestation = request(family, Attestation.Kind.PRESENCE, year=None, child_id=lina.pk,
                          first=datetime.date(YEAR, 3, 1), last=datetime.date(YEAR, 3, 31))

    # Care: 50 min + 1 h 30 + 2 h 30 = 4 h 50 over two days; Wednesdays: one day of 8 h.
    rows = {a["activity"]: (a["days"], Decimal(a["hours"])) for a in attestation.data["activities"]}
    assert rows == {"Mercredis": (1, Decimal("8.00")), "Périscolaire": (2, Decimal("4.83"))}
    assert attestation.number == f"AP-{YEAR + 1}-000001"
    text = pdf_text(render_attestation_pdf_bytes(attestation))
    assert "Périscolaire 06/03, 07/03 2 4 h 50" in text
    assert "Mercredis 05/03 1 8 h" in text

    update_commune(caf_care_hours="units")
    figures = attestations.presence_figures(lina, datetime.date(YEAR, 3, 1),
                                            datetime.date(YEAR, 3, 31))
    assert {a["activity"]: a["hours"] for a in figures["activities"]}["Périscolaire"] == "6.00"


def test_a_period_without_presence_or_another_familys_child_is_refused(cat):
    family = FamilyFactory()
    lina = ChildFactory(family=family, first_name="Lina")
    stranger = ChildFactory()
    period = {"first": datetime.date(YEAR, 3, 1), "last": datetime.date(YEAR, 3, 31)}

    with pytest.raises(ValidationError) as error:
        request(family, Attestation.Kind.PRESENCE, year=None, child_id=lina.pk, **period)
    assert error.value.messages == [
        f"Aucune présence de Lina n'est pointée du 1er mars {YEAR} au 31 mars {YEAR} : il n'y "
        "a rien à attester sur cette période."]
    with pytest.raises(ValidationError, match="Choisissez un de vos enfants"):
        request(family, Attestation.Kind.PRESENCE, year=None, child_id=stranger.pk, **period)
    with pytest.raises(ValidationError, match="après le premier"):
        request(family, Attestation.Kind.PRESENCE, year=None, child_id=lina.pk,
                first=period["last"], last=period["first"])
    assert not Attestation.objects.exists()


def test_the_payments_statement_lists_invoices_credit_notes_and_payments(household, cat):
    invoice = household.invoices.get()
    paid(invoice, 500, MAR, method=Payment.Method.CARD, flagged_for_refund=True)

    statement = request(household, Attestation.Kind.PAYMENTS)

    assert statement.total_cents == 4000  # the payment to refund is not money kept
    text = pdf_text(render_attestation_pdf_bytes(statement))
    assert f"{invoice.number}" in text and "Total facturé 40,00 €" in text
    assert "Carte bancaire en ligne (à rembourser) 5,00 €" in text
    assert "Total payé dans l'année 40,00 €" in text
    with pytest.raises(ValidationError, match="Aucune facture ni aucun paiement en 2022"):
        request(household, Attestation.Kind.PAYMENTS, year=2022)
