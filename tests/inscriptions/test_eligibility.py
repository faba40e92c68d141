"""« Créer une inscription »: which activities each child may join, and why not, as the parent
reads it on the page; the school level given in the dossier administratif."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from familles.models import Document
from inscriptions.models import AnnualFile, SchoolLevel
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
    SiteFactory,
)
from tests.scenarios.families import ChildFactory, DocumentFactory, FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    # Next school year, whatever other tests created before (the factory counts up).
    return SchoolYearFactory(start_year=timezone.localdate().year + 1)


@pytest.fixture
def child(family, year):
    # Born in March, 8 years before the school year starts: 8 on 1 September.
    return ChildFactory(family=family, first_name="Léa",
                        birth_date=datetime.date(year.start_date.year - 8, 3, 14))


def home(client) -> str:
    response = client.get(reverse("inscriptions:home"))
    assert response.status_code == 200
    return response.content.decode()


def block(page: str, year, child, activity) -> str:
    """The part of the page about one activity for one child."""
    start = page.index(f'id="activity-{year.pk}-{child.pk}-{activity.pk}"')
    end = page.find('<li class="activity', start)
    return page[start:end if end != -1 else None]


def can_request(part: str) -> bool:
    return "Demander l&#x27;inscription" in part or "Demander l'inscription" in part


def test_open_activity_offers_the_request_with_its_description(parent_client, child, year):
    AnnualFileFactory(child=child, school_year=year, validated=True)
    activity = ActivityFactory(school_year=year, name="Mercredis au centre",
                               required_document_kinds=["medical"], validation="staff")
    DocumentFactory(family=child.family, kind=Document.Kind.MEDICAL_CERTIFICATE)
    part = block(home(parent_client), year, child, activity)
    assert "Mercredis au centre" in part
    assert "Mercredis hors vacances scolaires" in part
    assert "Certificat médical" in part
    assert "par le service" in part
    assert can_request(part)


def test_canteen_days_are_written_in_words(parent_client, child, year):
    AnnualFileFactory(child=child, school_year=year, validated=True)
    canteen = ActivityFactory(canteen=True, school_year=year)
    part = block(home(parent_client), year, child, canteen)
    assert "lundi, mardi, jeudi, vendredi" in part
    assert "automatique" in part


def test_age_outside_the_range_is_explained(parent_client, child, year):
    AnnualFileFactory(child=child, school_year=year, validated=True)
    passerelle = ActivityFactory(school_year=year, kind="passerelle_wednesday",
                                 name="Passerelle", min_age=11, max_age=14)
    open_to_all = ActivityFactory(school_year=year)
    page = home(parent_client)
    part = block(page, year, child, passerelle)
    assert "de 11 à 14 ans" in part
    assert "Léa aura 8 ans" in part
    assert not can_request(part)
    assert can_request(block(page, year, child, open_to_all))


def test_school_level_from_the_file_decides(parent_client, family, year):
    cp = ChildFactory(family=family, first_name="Léa")
    cm1 = ChildFactory(family=family, first_name="Hugo")
    unknown = ChildFactory(family=family, first_name="Zoé")
    AnnualFileFactory(child=cp, school_year=year, validated=True, school_level=SchoolLevel.CP)
    AnnualFileFactory(child=cm1, school_year=year, validated=True,
                      school_level=SchoolLevel.CM1)
    AnnualFileFactory(child=unknown, school_year=year, validated=True)
    club = ActivityFactory(school_year=year, name="Club CM", min_level=SchoolLevel.CM1,
                           max_level=SchoolLevel.CM2)
    page = home(parent_client)
    part = block(page, year, cp, club)
    assert "Léa sera en CP" in part and not can_request(part)
    part = block(page, year, unknown, club)
    assert "niveau scolaire de Zoé n&#x27;est pas indiqué" in part
    assert not can_request(part)
    assert can_request(block(page, year, cm1, club))


@pytest.mark.parametrize(("state", "words"), [
    (None, "pas encore été transmis"),
    (AnnualFile.State.DRAFT, "pas encore été transmis"),
    (AnnualFile.State.RETURNED, "renvoyé le dossier administratif"),
    (AnnualFile.State.SUBMITTED, "en cours de traitement"),
])
def test_file_not_validated_blocks_and_links_to_the_file(parent_client, child, year, state,
                                                         words):
    if state is not None:
        AnnualFileFactory(child=child, school_year=year, state=state,
                          submitted_at=None if state == AnnualFile.State.DRAFT else
                          datetime.datetime.now(datetime.UTC),
                          staff_comment="Joindre l'avis 2026" if state == "returned" else "")
    activity = ActivityFactory(school_year=year)
    page = home(parent_client)
    file_url = reverse("inscriptions:annual_file", args=[child.pk, year.pk])
    part = block(page, year, child, activity)
    assert not can_request(part)
    assert f'href="{file_url}"' in part
    assert "doit d&#x27;abord être validé" in part
    # the full reason is said once above the child's activities
    section = page[page.index(f'id="activities-{year.pk}-{child.pk}"'):]
    assert words in section[:section.index('<li class="activity')]


@pytest.mark.parametrize("document", ["none", "expired", "sibling", "other_family"])
def test_missing_or_expired_document_links_to_my_documents(parent_client, family, child, year,
                                                           document):
    AnnualFileFactory(child=child, school_year=year, validated=True)
    if document == "expired":
        DocumentFactory(family=family, kind=Document.Kind.MEDICAL_CERTIFICATE,
                        valid_until=year.start_date - datetime.timedelta(days=1))
    elif document == "sibling":
        DocumentFactory(family=family, kind=Document.Kind.MEDICAL_CERTIFICATE,
                        child=ChildFactory(family=family, first_name="Hugo"))
    elif document == "other_family":
        DocumentFactory(family=FamilyFactory(), kind=Document.Kind.MEDICAL_CERTIFICATE)
    activity = ActivityFactory(school_year=year, kind="alsh_holidays", days="holidays",
                               name="Séjour voile", required_document_kinds=["medical"])
    part = block(home(parent_client), year, child, activity)
    assert "Pièce à déposer dans « Mes documents » : Certificat médical." in part
    assert f'href="{reverse("familles:documents")}"' in part
    assert not can_request(part)


def test_a_valid_document_of_the_child_opens_the_activity(parent_client, family, child, year):
    AnnualFileFactory(child=child, school_year=year, validated=True)
    DocumentFactory(family=family, child=child, kind=Document.Kind.MEDICAL_CERTIFICATE,
                    valid_until=year.end_date)
    activity = ActivityFactory(school_year=year, required_document_kinds=["medical"])
    assert can_request(block(home(parent_client), year, child, activity))


def test_closed_enrolments_are_said(parent_client, child, year):
    AnnualFileFactory(child=child, school_year=year, validated=True)
    activity = ActivityFactory(school_year=year, enrolment_open=False)
    part = block(home(parent_client), year, child, activity)
    assert "inscriptions à cette activité sont fermées" in part
    assert not can_request(part)


def test_years_not_open_show_no_catalogue(parent_client, child, year):
    later = SchoolYearFactory(start_year=year.start_date.year + 1,
                              reregistration_opens_at=year.reregistration_opens_at
                              + datetime.timedelta(days=400))
    hidden = ActivityFactory(school_year=later, name="Pas encore publiée")
    page = home(parent_client)
    assert "Pas encore publiée" not in page
    assert f"activity-{later.pk}-{child.pk}-{hidden.pk}" not in page


def _file_form(annual_file, **overrides):
    data = {
        "school": "École Jules Ferry", "school_class": "classe de Mme Martin", "school_level": "",
        "vaccinations_up_to_date": "on",
        "vaccination_document": annual_file.vaccination_document.pk,
        "diet": "none", "allowance_body": "caf", "allowance_number": "7654321",
        "income_document": annual_file.income_document.pk, "accept_rules": "on",
        "submit": "",
    }
    data.update(overrides)
    return data


def test_school_level_is_asked_in_the_file_but_not_required(parent_client, child, year):
    annual_file = AnnualFileFactory(child=child, school_year=year)
    url = reverse("inscriptions:annual_file", args=[child.pk, year.pk])
    form_page = parent_client.get(url).content.decode()
    assert "Niveau scolaire" in form_page and ">CM1</option>" in form_page
    response = parent_client.post(url, _file_form(annual_file))
    assert response.status_code == 302
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert annual_file.school_level is None


def test_level_given_in_the_file_opens_a_level_restricted_activity(parent_client, child, year):
    annual_file = AnnualFileFactory(child=child, school_year=year)
    club = ActivityFactory(school_year=year, name="Club CM", min_level=SchoolLevel.CM1)
    url = reverse("inscriptions:annual_file", args=[child.pk, year.pk])
    parent_client.post(url, _file_form(annual_file, school_level=str(SchoolLevel.CM1.value)))
    annual_file.refresh_from_db()
    assert annual_file.school_level == SchoolLevel.CM1
    summary = parent_client.get(url).content.decode()  # the file as sent
    assert "Niveau scolaire" in summary and "CM1" in summary
    annual_file.state = AnnualFile.State.VALIDATED  # the service validates it
    annual_file.save()
    assert can_request(block(home(parent_client), year, child, club))


def _family_with_children(family, year, count, activities):
    for n in range(count):
        child = ChildFactory(family=family, first_name=f"Enfant{n}")
        AnnualFileFactory(child=child, school_year=year, validated=True,
                          school_level=SchoolLevel.CE1)
        DocumentFactory(family=family, child=child, kind=Document.Kind.MEDICAL_CERTIFICATE)
        EnrolmentFactory(child=child, activity=activities[0])
        EnrolmentFactory(child=child, activity=activities[1], state="requested")


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        home(client)
    return len(queries)


def test_page_query_count_does_not_grow_with_children(parent_client, family, year,
                                                      django_assert_max_num_queries):
    two_sites = [SiteFactory(name="École A"), SiteFactory(name="École B")]
    activities = [
        ActivityFactory(canteen=True, school_year=year, sites=two_sites),
        ActivityFactory(school_year=year, validation="staff", required_document_kinds=["medical"]),
        ActivityFactory(school_year=year, min_level=SchoolLevel.CP, max_level=SchoolLevel.CM2,
                        sites=two_sites),
        ActivityFactory(school_year=year, min_age=11),
    ]
    _family_with_children(family, year, 1, activities)
    one_child = _count_queries(parent_client)
    _family_with_children(family, year, 2, activities)
    for _n in range(3):
        activities.append(ActivityFactory(school_year=year, sites=two_sites))
    with django_assert_max_num_queries(one_child):
        page = home(parent_client)
    assert page.count(">Retirer l'inscription<span") == 6
