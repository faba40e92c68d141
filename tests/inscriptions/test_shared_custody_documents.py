"""Review finding 6: in shared custody (garde alternée) each household sees and attaches only
its own documents and the child's, never the other household's family-wide ones (the other
parent's tax notice), in the dossier form, on a crafted POST, and on the dossier's pages."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from familles.models import Document
from inscriptions import services
from inscriptions.models import AnnualFile
from tests.helpers import page_text
from tests.scenarios.enrolments import AnnualFileFactory, SchoolYearFactory
from tests.scenarios.families import ChildFactory, DocumentFactory, GuardianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(family):
    """Léa lives in two homes: the `family` fixture's (A) and B, each with its own vault."""
    b = GuardianFactory()
    child = ChildFactory(family=family, second_family=b.family, first_name="Léa")
    docs = {
        "a_tax": DocumentFactory(family=family, original_name="avis-impot-foyer-a.pdf"),
        "a_caf_for_child": DocumentFactory(family=family, child=child, kind=Document.Kind.CAF,
                                           original_name="caf-foyer-a-via-dossier.pdf"),
        "a_vaccination": DocumentFactory(family=family, child=child,
                                         kind=Document.Kind.VACCINATION,
                                         original_name="carnet-lea-depose-par-a.pdf"),
        "b_tax": DocumentFactory(family=b.family, original_name="avis-impot-foyer-b.pdf"),
    }
    return {"b": b, "child": child, "year": SchoolYearFactory(), **docs}


def file_url(child, year):
    return reverse("inscriptions:annual_file", args=[child.pk, year.pk])


def b_client(homes):
    client = Client()
    client.force_login(homes["b"].user)
    return client


def test_the_second_home_is_offered_its_own_documents_and_the_childs_only(homes):
    client = b_client(homes)
    client.post(file_url(homes["child"], homes["year"]))  # starts the file

    page = page_text(client.get(file_url(homes["child"], homes["year"])))

    assert "avis-impot-foyer-b.pdf" in page
    assert "carnet-lea-depose-par-a.pdf" in page  # the child's own record, from either home
    assert "avis-impot-foyer-a.pdf" not in page
    assert "caf-foyer-a-via-dossier.pdf" not in page  # income stays the household's
    assert str(homes["a_tax"].pk) not in page


def test_a_crafted_post_with_the_other_homes_income_proof_is_refused(homes):
    client = b_client(homes)
    child, year = homes["child"], homes["year"]
    client.post(file_url(child, year))

    for crafted in (homes["a_tax"], homes["a_caf_for_child"]):
        response = client.post(file_url(child, year), {
            "school": "École du Centre", "diet": "none", "allowance_body": "none",
            "income_document": crafted.pk, "save": ""})
        assert response.status_code == 400
        assert "Sélectionnez un choix valide" in page_text(response)
        assert AnnualFile.objects.get(child=child).income_document_id is None

    # The service refuses it too, whatever the form offered.
    annual_file = AnnualFile.objects.get(child=child)
    with pytest.raises(ValidationError) as refusal:
        services.save_draft(homes["b"].family, annual_file,
                            {"income_document": homes["a_tax"]}, [])
    assert refusal.value.messages == ["Choisissez un document de votre espace."]
    annual_file.refresh_from_db()
    assert annual_file.income_document_id is None


def test_what_the_other_home_attached_is_kept_but_not_shown(homes, family):
    # Home A filled the file with its tax notice; home B completes and submits it.
    child, year = homes["child"], homes["year"]
    AnnualFileFactory(child=child, school_year=year, income_document=homes["a_tax"],
                      vaccination_document=homes["a_vaccination"])
    client = b_client(homes)

    form_page = page_text(client.get(file_url(child, year)))
    assert "avis-impot-foyer-a.pdf" not in form_page
    assert "joint par l'autre foyer" in form_page

    response = client.post(file_url(child, year), {
        "school": "École du Centre", "school_class": "CE1", "vaccinations_up_to_date": "on",
        "vaccination_document": homes["a_vaccination"].pk, "diet": "none",
        "allowance_body": "none", "income_document": "", "photo_consent": "on",
        "accept_rules": "on", "submit": ""})
    assert response.status_code == 302
    annual_file = AnnualFile.objects.get(child=child)
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert annual_file.income_document == homes["a_tax"]  # kept, not wiped

    summary = page_text(client.get(file_url(child, year)))
    assert "avis-impot-foyer-a.pdf" not in summary
    assert "Avis d'imposition (joint par l'autre foyer)" in summary
    assert "carnet-lea-depose-par-a.pdf" in summary
    # Home A still sees its own document by name, and B cannot download it.
    a_client = Client()
    a_client.force_login(family.guardians.get().user)
    assert "avis-impot-foyer-a.pdf" in page_text(a_client.get(file_url(child, year)))
    download = client.get(reverse("familles:document_download", args=[homes["a_tax"].pk]))
    assert download.status_code == 404
