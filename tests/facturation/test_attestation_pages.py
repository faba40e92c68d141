"""« Mes attestations », through HTTP: a parent asks for an attestation and downloads its PDF
at once; bad inputs get a French answer and no PDF; another household's attestation, or a
draft, answers 404; anyone can check an attestation's code on the public page, which shows
only its number, kind, date and household."""

import datetime

import pytest
from django.urls import reverse

from facturation.models import Attestation
from facturation.services.attestations import reissue, request_attestation
from tests.helpers import visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.attestations import YEAR, catalogue, issued, paid, present
from tests.scenarios.families import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db

MAR = datetime.date(YEAR, 3, 10)
PAGE = reverse("facturation:attestations")


@pytest.fixture
def cat(db):
    return catalogue()


@pytest.fixture
def lina(family, cat):
    """A child of 3 whose 40 € of Wednesdays (20 % food) were paid in March: 32 € attested."""
    child = ChildFactory(family=family, first_name="Lina", birth_date=datetime.date(2021, 9, 9))
    paid(issued(family, [(child, cat.day, 4, 1000)], month=2), 4000, MAR)
    return child


def test_a_parent_gets_the_fiscal_attestation_pdf_at_once(parent_client, family, lina):
    page = visible_text(parent_client.get(PAGE))
    assert "Attestation fiscale (frais de garde)" in page and "Aucune attestation" in page

    response = parent_client.post(PAGE, {"kind": "fiscal", "fiscal-year": YEAR})

    attestation = Attestation.objects.get(family=family)
    assert response.status_code == 302
    assert response["Location"] == reverse("facturation:attestation_pdf", args=[attestation.pk])
    pdf = parent_client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert f'filename="attestation-{attestation.number}.pdf"' in pdf["Content-Disposition"]
    page = visible_text(parent_client.get(PAGE))
    assert f"{attestation.number} – Attestation fiscale {YEAR} – 32,00 €" in page


def test_the_invoices_page_leads_to_the_attestations(parent_client, family):
    response = parent_client.get(reverse("facturation:invoices"))
    assert f'href="{PAGE}"' in response.content.decode()


def test_a_child_over_six_gets_a_french_answer_and_no_pdf(parent_client, family, cat):
    tom = ChildFactory(family=family, birth_date=datetime.date(2016, 1, 1))
    paid(issued(family, [(tom, cat.day, 2, 1000)], 2), 2000, MAR)

    response = parent_client.post(PAGE, {"kind": "fiscal", "fiscal-year": YEAR})

    assert response.status_code == 400
    assert visible_text(response).count(
        f"Aucun enfant de votre foyer n'avait moins de 6 ans au 1er janvier {YEAR}") == 1
    assert not Attestation.objects.exists()


def test_a_presence_period_without_presence_gets_a_french_answer(parent_client, lina, cat):
    present(lina, cat.day, datetime.date(YEAR, 3, 5))
    period = {"kind": "presence", "presence-child": lina.pk}

    empty = parent_client.post(PAGE, {**period, "presence-first": f"{YEAR}-05-01",
                                      "presence-last": f"{YEAR}-05-31"})
    assert empty.status_code == 400
    assert "Aucune présence de Lina n'est pointée du 1er mai" in visible_text(empty)

    response = parent_client.post(PAGE, {**period, "presence-first": f"{YEAR}-03-01",
                                         "presence-last": f"{YEAR}-03-31"})
    assert response.status_code == 302
    assert Attestation.objects.get().kind == Attestation.Kind.PRESENCE


def test_another_households_child_cannot_be_attested(parent_client, cat):
    stranger = ChildFactory()
    present(stranger, cat.day, datetime.date(YEAR, 3, 5))

    response = parent_client.post(PAGE, {"kind": "presence", "presence-child": stranger.pk,
                                         "presence-first": f"{YEAR}-03-01",
                                         "presence-last": f"{YEAR}-03-31"})

    assert response.status_code == 400
    assert not Attestation.objects.exists()


def test_another_households_attestation_or_a_draft_answers_404(parent_client, family, lina,
                                                              cat):
    other = FamilyFactory()
    child = ChildFactory(family=other, birth_date=datetime.date(2021, 1, 1))
    paid(issued(other, [(child, cat.day, 1, 1000)], 2), 1000, MAR)
    theirs = request_attestation(other, Attestation.Kind.FISCAL, user=None, year=YEAR)
    draft = Attestation.objects.create(kind=Attestation.Kind.PAYMENTS, family=family, year=YEAR)

    for attestation in (theirs, draft):
        url = reverse("facturation:attestation_pdf", args=[attestation.pk])
        assert parent_client.get(url).status_code == 404
    assert theirs.number not in visible_text(parent_client.get(PAGE))


def test_the_public_page_checks_a_code_and_shows_no_amount(client, family, lina):
    attestation = request_attestation(family, Attestation.Kind.FISCAL, user=None, year=YEAR)
    url = reverse("facturation:attestation_verify")

    response = client.get(url, {"code": attestation.verification_code})

    text = visible_text(response)
    assert response.status_code == 200
    assert "Attestation authentique" in text and attestation.number in text
    assert family.name in text and "Attestation fiscale (frais de garde)" in text
    assert "32,00" not in text and "Lina" not in text
    unknown = client.get(url, {"code": "pas-un-vrai-code"})
    assert unknown.status_code == 404
    assert "Aucune attestation ne correspond à ce code." in visible_text(unknown)

    newer = reissue(attestation.pk, StaffFactory())
    replaced = visible_text(client.get(url, {"code": attestation.verification_code}))
    assert f"remplacée par l'attestation n° {newer.number}" in replaced
