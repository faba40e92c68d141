"""The staff's export of the children enrolled in an activity (CSV and XLSX), with health data
only for staff allowed to see it, and each such export recorded."""

import csv
import datetime
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from familles.models import Guardian
from inscriptions.models import AnnualFile, HealthDataAccess
from tests.helpers import page_text
from tests.scenarios.accounts import login, staff_without
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
    SiteFactory,
)
from tests.scenarios.families import ChildFactory, ContactFactory, FamilyFactory, GuardianFactory

EXPORT = reverse("admin:inscriptions_enrolment_export")
HEALTH_HEADERS = ["Allergies", "Régime alimentaire", "PAI"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    return SchoolYearFactory()


@pytest.fixture
def alsh(year):
    return ActivityFactory(school_year=year, name="ALSH mercredi",
                           sites=[SiteFactory(name="Les Goélands"), SiteFactory(name="Le Port")])


@pytest.fixture
def lou(guardian, alsh):
    """Lou, in shared custody, with a PAI, an allergy and a grandmother who picks her up."""
    family = guardian.family
    family.name = "Famille Martin"
    family.save()
    other_home = FamilyFactory(name="Famille Kerjean")
    GuardianFactory(family=other_home, first_name="Yann", last_name="Kerjean",
                    relation=Guardian.Relation.FATHER, mobile_phone="06 99 88 77 66",
                    user__email="yann@example.org")
    child = ChildFactory(family=family, second_family=other_home, first_name="Lou",
                         last_name="Martin", birth_date=datetime.date(2018, 3, 14))
    grandmother = ContactFactory(family=family, first_name="Annie", last_name="Martin",
                                 relation="grand-mère", phone="02 97 11 22 33",
                                 children=[child])
    ContactFactory(family=family, first_name="Paul", last_name="Voisin", relation="voisin",
                   children=[child])  # not chosen in this year's file
    annual_file = AnnualFileFactory(child=child, school_year=alsh.school_year, validated=True,
                                    school="École des Tilleuls", school_class="CE1 B",
                                    school_level=6, allergies="Arachide, kiwi",
                                    diet=AnnualFile.Diet.NO_PORK, has_pai=True)
    annual_file.authorised_contacts.set([grandmother])
    EnrolmentFactory(child=child, activity=alsh, site=alsh.sites.get(name="Les Goélands"))
    return child


@pytest.fixture
def others(alsh, year):
    """Children who must not appear: a pending request, a withdrawn one, another activity."""
    for state in ("requested", "withdrawn"):
        child = ChildFactory(first_name=f"Absent-{state}")
        AnnualFileFactory(child=child, school_year=year, validated=True)
        EnrolmentFactory(child=child, activity=alsh, state=state)
    child = ChildFactory(first_name="Cantine-seule")
    EnrolmentFactory(child=child, activity=ActivityFactory(school_year=year, canteen=True))


def travel_to_year(year):
    return time_machine.travel(timezone.make_aware(
        datetime.datetime(year.start_date.year, 10, 5, 10, 0)), tick=False)


def download(client, activity, file_format, site=None):
    response = client.post(EXPORT, {"activity": activity.pk, "site": site.pk if site else "",
                                    "file_format": file_format})
    assert response.status_code == 200, page_text(response)
    return response


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def read_xlsx(response):
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_xlsx_with_health_data_for_staff_allowed_to_see_it(staff_user, alsh, lou, others,
                                                           year):
    with travel_to_year(year):
        response = download(login(staff_user), alsh, "xlsx")
    assert 'attachment; filename="inscrits-alsh-mercredi-' in response["Content-Disposition"]
    (row,) = read_xlsx(response)
    age = year.start_date.year - 2018  # 5 October: her March birthday has passed
    assert row == {
        "Nom": "Martin", "Prénom": "Lou", "Date de naissance": "14/03/2018", "Âge": age,
        "École": "École des Tilleuls", "Classe": "CE1 B", "Niveau": "CE1",
        "Lieu": "Les Goélands", "Famille": "Famille Martin ; Famille Kerjean",
        "Responsables légaux": (
            f"Camille {lou.family.guardians.get().last_name} (Mère) ; Yann Kerjean (Père)"),
        "Téléphones des responsables": "Camille : 06 12 34 56 78 ; Yann : 06 99 88 77 66",
        "E-mails des responsables": f"{lou.family.guardians.get().user.email} ; "
                                    "yann@example.org",
        "Personnes autorisées à venir chercher l'enfant":
            "Annie Martin (grand-mère) 02 97 11 22 33",
        "Allergies": "Arachide, kiwi", "Régime alimentaire": "Sans porc", "PAI": "Oui",
    }
    # GDPR art. 9: the health data that left the portal is traceable.
    (access,) = HealthDataAccess.objects.all()
    assert access.user == staff_user
    assert access.annual_file == AnnualFile.objects.get(child=lou)


def test_csv_without_health_data_for_other_staff(alsh, lou, others, year):
    user = staff_without("view_health_data")
    with travel_to_year(year):
        response = download(login(user), alsh, "csv")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = read_csv(response)
    assert [(r["Prénom"], r["Lieu"], r["Niveau"]) for r in rows] == [
        ("Lou", "Les Goélands", "CE1")]
    assert not set(HEALTH_HEADERS) & set(rows[0])
    assert "Arachide" not in response.content.decode("utf-8-sig")
    assert "Sans porc" not in response.content.decode("utf-8-sig")
    assert not HealthDataAccess.objects.exists()


def test_csv_with_health_data(staff_client, alsh, lou, year):
    rows = read_csv(download(staff_client, alsh, "csv"))
    assert [(r["Prénom"], r["Allergies"], r["Régime alimentaire"], r["PAI"]) for r in rows] == [
        ("Lou", "Arachide, kiwi", "Sans porc", "Oui")]
    assert HealthDataAccess.objects.count() == 1


def test_one_site_only(staff_client, alsh, lou, year):
    port = alsh.sites.get(name="Le Port")
    noe = ChildFactory(first_name="Noé", last_name="Abgrall")
    AnnualFileFactory(child=noe, school_year=year, validated=True, allergies="",
                      diet=AnnualFile.Diet.NONE)
    EnrolmentFactory(child=noe, activity=alsh, site=port)

    everyone = read_xlsx(download(staff_client, alsh, "xlsx"))
    assert [(r["Prénom"], r["Lieu"], r["PAI"]) for r in everyone] == [
        ("Noé", "Le Port", "Non"), ("Lou", "Les Goélands", "Oui")]  # by site, then name
    assert HealthDataAccess.objects.count() == 2

    at_port = read_xlsx(download(staff_client, alsh, "xlsx", site=port))
    assert [(r["Prénom"], r["Allergies"], r["Régime alimentaire"]) for r in at_port] == [
        ("Noé", None, "Aucun régime particulier")]
    assert HealthDataAccess.objects.count() == 3


def test_text_typed_by_families_never_becomes_a_formula(staff_client, alsh, lou):
    AnnualFile.objects.filter(child=lou).update(allergies='=HYPERLINK("http://x.example","Clic")')
    xlsx = read_xlsx(download(staff_client, alsh, "xlsx"))
    assert xlsx[0]["Allergies"] == '\'=HYPERLINK("http://x.example","Clic")'
    rows = read_csv(download(staff_client, alsh, "csv"))
    assert rows[0]["Allergies"].startswith("'=")
    assert rows[0]["Téléphones des responsables"].startswith("Camille : 06")


def test_export_page_from_the_enrolment_list(staff_client, alsh, lou):
    changelist = staff_client.get(
        f"/gestion/inscriptions/enrolment/?activity__id__exact={alsh.pk}")
    assert f'href="{EXPORT}?activity={alsh.pk}"' in page_text(changelist)
    response = staff_client.get(f"{EXPORT}?activity={alsh.pk}")
    html = page_text(response)
    assert response.context["form"]["activity"].value() == str(alsh.pk)
    assert "données de santé" in html and "Votre consultation est enregistrée" in html
    assert not HealthDataAccess.objects.exists()  # showing the form reads nothing


def test_export_page_tells_staff_without_health_permission(alsh):
    client = login(staff_without("view_health_data"))
    html = page_text(client.get(EXPORT))
    assert "Les données de santé (allergies, régime, PAI) ne figurent pas dans le fichier" in html


def test_parents_and_staff_without_access_cannot_export(parent_client, alsh, lou):
    response = parent_client.post(EXPORT, {"activity": alsh.pk, "file_format": "csv"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client = login(staff_without("view_enrolment", "change_enrolment"))
    assert client.post(EXPORT, {"activity": alsh.pk, "file_format": "csv"}).status_code == 403
    assert not HealthDataAccess.objects.exists()
