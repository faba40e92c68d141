"""The parent's side of the dossier administratif, through HTTP."""

import datetime
import html

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from familles.models import Document
from ground.models import OutboxMessage
from inscriptions import services
from inscriptions.models import AnnualFile, SchoolYear
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.families import ChildFactory, ContactFactory, GuardianFactory

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NOW = datetime.datetime(2027, 5, 20, 10, 0, tzinfo=datetime.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def make_year(start, **extra):
    return SchoolYear.objects.create(
        label=f"{start}-{start + 1}", start_date=datetime.date(start, 9, 1),
        end_date=datetime.date(start + 1, 8, 31),
        reregistration_opens_at=timezone.make_aware(datetime.datetime(start, 5, 3, 8, 30)),
        reregistration_deadline=timezone.make_aware(datetime.datetime(start, 6, 30, 23, 59)),
        rules_version=f"{start}-1", **extra)


@pytest.fixture
def year():
    make_year(2026)
    return make_year(2027)


@pytest.fixture
def child(family):
    return ChildFactory(family=family, first_name="Léa", school="École Jules Ferry")


def file_url(child, year):
    return reverse("inscriptions:annual_file", args=[child.pk, year.pk])


def vault_document(family, kind, child=None):
    document = Document(family=family, child=child, kind=kind, original_name="piece.pdf",
                        content_type="application/pdf", size=len(PDF))
    document.file.save("piece.pdf", ContentFile(PDF), save=False)
    document.save()
    return document


def complete_form(family, child, **overrides):
    data = {
        "school": "École Jules Ferry", "school_class": "CE2",
        "vaccinations_up_to_date": "on",
        "vaccination_document": vault_document(family, Document.Kind.VACCINATION, child).pk,
        "diet": "none", "allowance_body": "caf", "allowance_number": "7654321",
        "income_document": vault_document(family, Document.Kind.TAX_NOTICE).pk,
        "photo_consent": "on", "accept_rules": "on",
    }
    data.update(overrides)
    return data


def test_registration_page_lists_each_child_and_open_year(parent_client, child, year):
    page = parent_client.get(reverse("inscriptions:home")).content.decode()
    assert "Dossier administratif 2027-2028" in page
    assert "Léa" in page and "à faire" in page
    # the current year stays open until 31 August: a child arriving mid-year can be filed
    assert "Dossier administratif 2026-2027" in page


def test_year_not_yet_open_cannot_be_started(parent_client, child, year):
    future = make_year(2028)
    response = parent_client.post(file_url(child, future), follow=True)
    assert "Les réinscriptions pour 2028-2029 ouvrent le 3 mai 2028" in response.content.decode()
    assert not AnnualFile.objects.filter(school_year=future).exists()


def test_parent_fills_saves_a_draft_then_submits_and_gets_a_receipt(parent_client, family,
                                                                    child, year):
    parent_client.post(file_url(child, year))
    annual_file = AnnualFile.objects.get(child=child, school_year=year)
    assert annual_file.state == AnnualFile.State.DRAFT
    assert annual_file.school == "École Jules Ferry"  # taken from the child

    response = parent_client.post(file_url(child, year), {"school": "École Jules Ferry",
                                                          "diet": "no_pork",
                                                          "allowance_body": "caf", "save": ""})
    assert response.status_code == 302
    page = parent_client.get(file_url(child, year)).content.decode()
    assert "Joignez la copie du carnet de vaccination." in page
    assert "Acceptez le règlement intérieur 2027-1." in page

    response = parent_client.post(file_url(child, year),
                                  {**complete_form(family, child), "submit": ""})
    assert response.status_code == 302
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert annual_file.rules_version_accepted == "2027-1"
    assert annual_file.submitted_by == family.guardians.get().user
    page = parent_client.get(file_url(child, year)).content.decode()
    assert "en cours de traitement" in page
    assert 'name="submit"' not in page  # read-only now

    receipt = OutboxMessage.objects.get(template="annual_file_submitted")
    assert receipt.to == [family.guardians.get().user.email]
    assert "Dossier administratif 2027-2028 de Léa : bien reçu" in receipt.subject


def test_incomplete_file_is_not_submitted_and_says_what_is_missing_once(parent_client, family,
                                                                       child, year):
    parent_client.post(file_url(child, year))
    data = complete_form(family, child)
    del data["accept_rules"]
    response = parent_client.post(file_url(child, year), {**data, "submit": ""}, follow=True)
    page = html.unescape(response.content.decode())
    assert "le dossier n'est pas transmis" in page
    assert page.count("Acceptez le règlement intérieur 2027-1.") == 1
    annual_file = AnnualFile.objects.get(child=child, school_year=year)
    assert annual_file.state == AnnualFile.State.DRAFT
    assert annual_file.allowance_number == "7654321"  # what was typed is kept
    assert not OutboxMessage.objects.exists()


def test_documents_can_be_uploaded_from_the_file_itself(parent_client, family, child, year):
    parent_client.post(file_url(child, year))
    data = complete_form(family, child)
    del data["vaccination_document"]
    data["vaccination_document_upload"] = SimpleUploadedFile("carnet.pdf", PDF)
    response = parent_client.post(file_url(child, year), {**data, "submit": ""})
    assert response.status_code == 302
    annual_file = AnnualFile.objects.get(child=child, school_year=year)
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert annual_file.vaccination_document.kind == Document.Kind.VACCINATION
    assert annual_file.vaccination_document.family == family


def test_a_bad_upload_in_the_file_is_refused_in_french(parent_client, family, child, year):
    parent_client.post(file_url(child, year))
    data = complete_form(family, child)
    data["income_document_upload"] = SimpleUploadedFile("avis.pdf", b"not a pdf at all")
    response = parent_client.post(file_url(child, year), {**data, "submit": ""})
    assert response.status_code == 400
    assert "ni un PDF, ni une image JPEG ou PNG" in response.content.decode()
    assert AnnualFile.objects.get(child=child).state == AnnualFile.State.DRAFT


def test_a_refused_upload_names_its_field_next_to_it_and_nothing_is_stored(parent_client,
                                                                          family, child, year):
    parent_client.post(file_url(child, year))
    data = complete_form(family, child, has_pai="on")
    data["vaccination_document_upload"] = SimpleUploadedFile("carnet.pdf", PDF)
    data["pai_document_upload"] = SimpleUploadedFile("pai.pdf", b"not a pdf at all")
    stored = Document.objects.count()
    response = parent_client.post(file_url(child, year), {**data, "submit": ""})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    error = page.index('id="error_1_id_pai_document_upload"')
    assert page[error:page.index("</", error)].endswith(
        "Document du PAI : Ce fichier n'est ni un PDF, ni une image JPEG ou PNG. "
        "Enregistrez ou photographiez le document dans l'un de ces formats.")
    assert "error_1_id_vaccination_document_upload" not in page
    assert Document.objects.count() == stored


def test_the_service_refuses_every_upload_before_storing_any(family, child, year):
    annual_file = services.start_annual_file(family, child, year, None)
    stored = Document.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.save_draft(family, annual_file, {}, [], uploads={
            "vaccination_document": SimpleUploadedFile("carnet.pdf", PDF),
            "custody_document": SimpleUploadedFile("garde.pdf", b"plain text")})
    assert list(refused.value.error_dict) == ["custody_document"]
    assert refused.value.messages[0].startswith("Calendrier de garde alternée : ")
    assert Document.objects.count() == stored


def test_what_is_missing_speaks_of_the_answers_just_sent(parent_client, family, year):
    child = ChildFactory(family=family, first_name="Inès", school="")
    parent_client.post(file_url(child, year))
    data = complete_form(family, child)  # the school typed, the rules accepted
    data["income_document_upload"] = SimpleUploadedFile("avis.pdf", b"not a pdf at all")
    response = parent_client.post(file_url(child, year), {**data, "save": ""})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Indiquez l'école de l'enfant." not in page
    assert "Acceptez le règlement intérieur" not in page
    assert "Le dossier est complet" in page
    del data["income_document_upload"], data["accept_rules"]
    data["school"] = ""
    data["doctor_phone"] = "pas un numéro"
    page = html.unescape(
        parent_client.post(file_url(child, year), {**data, "save": ""}).content.decode())
    assert "Indiquez l'école de l'enfant." in page
    assert "Acceptez le règlement intérieur 2027-1." in page


def test_two_files_of_the_same_name_read_differently_in_the_select(parent_client, family,
                                                                  child, year):
    parent_client.post(file_url(child, year))
    older = vault_document(family, Document.Kind.TAX_NOTICE)
    newer = vault_document(family, Document.Kind.CAF)
    Document.objects.filter(pk=older.pk).update(
        uploaded_at=datetime.datetime(2026, 9, 1, 9, 0, tzinfo=datetime.UTC), size=245_760)
    page = html.unescape(parent_client.get(file_url(child, year)).content.decode())
    assert (f'<option value="{older.pk}">piece.pdf — Avis d\'imposition, 1er sept. 2026, '
            '240\xa0Ko</option>') in page
    assert (f'<option value="{newer.pk}">piece.pdf — Attestation CAF, 20 mai 2027, '
            f'{newer.size}\xa0octets</option>') in page


def test_submitted_file_cannot_be_changed_by_a_crafted_post(parent_client, family, child, year):
    parent_client.post(file_url(child, year))
    parent_client.post(file_url(child, year), {**complete_form(family, child), "submit": ""})
    response = parent_client.post(file_url(child, year),
                                  {**complete_form(family, child, school="Autre"), "save": ""},
                                  follow=True)
    assert "ne peut plus être modifié" in response.content.decode()
    assert AnnualFile.objects.get(child=child).school == "École Jules Ferry"


def test_new_file_is_prefilled_from_last_years_validated_file(parent_client, family, child,
                                                             year):
    last_year = SchoolYear.objects.get(label="2026-2027")
    neighbour = ContactFactory(family=family, children=[child])
    old = AnnualFile.objects.create(
        child=child, school_year=last_year, allergies="arachide", diet="no_meat",
        doctor_name="Dr Le Bihan", allowance_number="111", photo_consent=True,
        vaccination_document=vault_document(family, Document.Kind.VACCINATION, child),
    )
    old.authorised_contacts.set([neighbour])
    AnnualFile.objects.filter(pk=old.pk).update(state=AnnualFile.State.VALIDATED,
                                                submitted_at=timezone.now())

    parent_client.post(file_url(child, year))
    new = AnnualFile.objects.get(child=child, school_year=year)
    assert (new.allergies, new.diet, new.doctor_name, new.allowance_number) == (
        "arachide", "no_meat", "Dr Le Bihan", "111")
    assert new.photo_consent is True
    assert list(new.authorised_contacts.all()) == [neighbour]
    assert new.vaccination_document == old.vaccination_document
    # the rules must be accepted again each year
    assert new.rules_version_accepted == ""


def test_returned_file_shows_the_comment_and_can_be_submitted_again(parent_client, family,
                                                                   child, year):
    parent_client.post(file_url(child, year))
    parent_client.post(file_url(child, year), {**complete_form(family, child), "submit": ""})
    annual_file = AnnualFile.objects.get(child=child)
    services.return_to_family(annual_file, StaffFactory(), "Le carnet est illisible.")
    page = parent_client.get(file_url(child, year)).content.decode()
    assert "Le carnet est illisible." in page
    # The dashboard says it too, with the comment and the way to the file.
    page = parent_client.get(reverse("home")).content.decode()
    assert ("Le service vous a renvoyé le dossier administratif 2027-2028 de Léa à "
            "compléter.") in page
    assert "Le carnet est illisible." in page
    assert f'href="{file_url(child, year)}">Corriger le dossier' in page
    response = parent_client.post(file_url(child, year),
                                  {**complete_form(family, child), "submit": ""})
    assert response.status_code == 302
    assert AnnualFile.objects.get(child=child).state == AnnualFile.State.SUBMITTED


def test_another_familys_file_is_404_and_untouched(parent_client, year):
    stranger = GuardianFactory()
    their_child = ChildFactory(family=stranger.family)
    assert parent_client.get(file_url(their_child, year)).status_code == 404
    assert parent_client.post(file_url(their_child, year)).status_code == 404
    assert not AnnualFile.objects.filter(child=their_child).exists()


def test_the_service_itself_refuses_another_familys_child(family, year):
    # The page answers 404 first; the service must not rely on it (tasks, other pages).
    their_child = ChildFactory(family=GuardianFactory().family)
    with pytest.raises(ValidationError) as refusal:
        services.start_annual_file(family, their_child, year, family.guardians.get().user)
    assert refusal.value.messages == ["Cet enfant n'appartient pas à votre famille."]
    assert not AnnualFile.objects.filter(child=their_child).exists()


def test_other_familys_documents_and_contacts_cannot_be_attached(parent_client, family, child,
                                                                 year):
    stranger = GuardianFactory().family
    their_doc = vault_document(stranger, Document.Kind.VACCINATION)
    their_contact = ContactFactory(family=stranger, children=[ChildFactory(family=stranger)])
    parent_client.post(file_url(child, year))
    data = complete_form(family, child, vaccination_document=their_doc.pk,
                         authorised_contacts=[their_contact.pk])
    response = parent_client.post(file_url(child, year), {**data, "save": ""})
    assert response.status_code == 400
    annual_file = AnnualFile.objects.get(child=child)
    assert annual_file.vaccination_document_id is None
    assert not annual_file.authorised_contacts.exists()


def test_dashboard_shows_the_file_to_do_and_its_state(parent_client, family, child, year):
    page = parent_client.get(reverse("home")).content.decode()
    assert "Complétez le dossier administratif 2027-2028 de Léa" in page
    parent_client.post(file_url(child, year))
    parent_client.post(file_url(child, year), {**complete_form(family, child), "submit": ""})
    page = parent_client.get(reverse("home")).content.decode()
    assert "Complétez le dossier administratif 2027-2028 de Léa" not in page
    assert "en cours de traitement" in page


def test_shared_custody_child_is_filed_by_either_home_and_both_are_told(client, family, child,
                                                                       year):
    other_home = GuardianFactory()
    child.second_family = other_home.family
    child.save()
    client.force_login(other_home.user)
    client.post(file_url(child, year))
    data = complete_form(other_home.family, child, shared_custody="on",
                         payer_family=other_home.family.pk)
    data["custody_document"] = vault_document(other_home.family,
                                              Document.Kind.CUSTODY_CALENDAR).pk
    response = client.post(file_url(child, year), {**data, "submit": ""})
    assert response.status_code == 302
    annual_file = AnnualFile.objects.get(child=child)
    assert annual_file.billing_family() == other_home.family
    # each household in its own message: neither sees the other's addresses
    receipts = OutboxMessage.objects.filter(template="annual_file_submitted")
    assert sorted(r.to for r in receipts) == sorted(
        [[family.guardians.get().user.email], [other_home.user.email]])


@pytest.mark.parametrize(("state", "expected"), [
    (None, "n'a pas encore été transmis"),
    (AnnualFile.State.DRAFT, "n'a pas encore été transmis"),
    (AnnualFile.State.SUBMITTED, "est en cours de traitement"),
    (AnnualFile.State.RETURNED, "à compléter"),
])
def test_the_gate_explains_why_and_where_to_go(child, year, state, expected):
    if state is not None:
        AnnualFile.objects.create(child=child, school_year=year, state=state,
                                  submitted_at=timezone.now(), staff_comment="à revoir")
    with pytest.raises(services.FileNotValidated) as refusal:
        services.require_validated_file(child, year)
    assert expected in refusal.value.messages[0]
    assert "Léa" in refusal.value.messages[0]
    assert refusal.value.url == file_url(child, year)


def test_the_gate_opens_with_a_validated_file(child, year):
    AnnualFile.objects.create(child=child, school_year=year, state=AnnualFile.State.VALIDATED,
                              submitted_at=timezone.now())
    services.require_validated_file(child, year)  # no refusal


def test_the_doctors_phone_is_checked_and_stored_in_one_spelling(parent_client, family, child,
                                                                 year):
    """Issue 23, item 8: a number the team may call in an emergency."""
    parent_client.post(file_url(child, year))
    response = parent_client.post(file_url(child, year), {
        **complete_form(family, child, doctor_phone="0612"), "submit": ""})
    assert response.status_code == 400
    assert "Numéro de téléphone invalide" in html.unescape(response.content.decode())
    annual_file = AnnualFile.objects.get(child=child, school_year=year)
    assert annual_file.state == AnnualFile.State.DRAFT

    parent_client.post(file_url(child, year), {
        **complete_form(family, child, doctor_phone="+33297112233"), "submit": ""})
    annual_file.refresh_from_db()
    assert (annual_file.state, annual_file.doctor_phone) == (
        AnnualFile.State.SUBMITTED, "02 97 11 22 33")
