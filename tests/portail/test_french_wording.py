"""French that reads as written by hand (issue 23, item 13): « d'Inès », « le 1er septembre »,
« née » for a girl, « Ko » beside « Mo », « Modification d'activité » in the admin, allauth's
confirmation said once, and a staff login page that speaks to staff. ground/french.py, its
filters in both template engines, and a few real pages and e-mails."""

import datetime

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.template import engines
from django.urls import reverse

from ground import french
from ground.outbox import render_email
from ground.sizes import human_size
from tests.helpers import page_text
from tests.scenarios.accounts import StaffFactory, UserFactory, login
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.families import ChildFactory, DocumentFactory

FIRST = datetime.date(2026, 9, 1)
SECOND = datetime.date(2026, 9, 2)


@pytest.mark.parametrize(("name", "expected"), [
    ("Inès", "d'Inès"), ("Paul", "de Paul"), ("Hugo", "d'Hugo"), ("Éloïse", "d'Éloïse"),
    ("Yvonne", "d'Yvonne"), ("Zoé", "de Zoé"), (" Awa ", "d'Awa"), ("Kerbrume", "de Kerbrume"),
    ("Auray", "d'Auray")])
def test_de_elides_before_a_vowel_or_a_mute_h(name, expected):
    assert french.de(name) == expected


def test_a_sentence_django_assembled_is_elided():
    assert french.elide("Modification de inscription") == "Modification d'inscription"
    assert french.elide("Ajout de activité") == "Ajout d'activité"
    assert french.elide("Modification de famille") == "Modification de famille"
    assert french.elide("de haricots") == "de haricots"


def test_the_first_of_the_month_is_1er_before_its_name_only():
    assert french.format_day(FIRST, "l j F Y") == "mardi 1er septembre 2026"
    assert french.format_day(SECOND, "l j F Y") == "mercredi 2 septembre 2026"
    assert french.format_day(FIRST, "j/m/Y") == "1/09/2026"
    assert french.ordinal_day(FIRST) == "1er"
    assert french.ordinal_day(SECOND) == "2"


@pytest.mark.parametrize(("sex", "words", "expected"), [
    ("F", ("inscrit",), "inscrite"), ("M", ("inscrit",), "inscrit"),
    ("", ("inscrit",), "inscrit(e)"), ("F", ("né", "née"), "née"), ("M", ("né", "née"), "né"),
    (None, ("né", "née"), "né(e)"), ("F", ("présent",), "présente")])
def test_agree_follows_the_childs_sex(sex, words, expected):
    assert french.agree(sex, *words) == expected


def test_both_template_engines_write_1er_and_elide(db):
    context = {"day": FIRST, "name": "Inès", "sex": "F"}
    django = engines["django"].from_string(
        '{{ day|date:"j F Y" }} {{ name|de }} {{ sex|agree:"né,née" }}').render(context)
    assert django == "1er septembre 2026 d&#x27;Inès née"
    jinja = engines["jinja2"].from_string(
        '{{ day|date("j F Y") }} {{ name|de }} {{ sex|agree("né", "née") }}').render(context)
    assert jinja == "1er septembre 2026 d&#39;Inès née"
    assert engines["django"].from_string('{{ day|date:"j F Y" }}').render(
        {"day": SECOND}) == "2 septembre 2026"


def test_sizes_are_written_ko_and_mo():
    assert human_size(1536) == "1,5\xa0Ko"
    assert human_size(10 * 1024 * 1024) == "10\xa0Mo"
    assert engines["django"].from_string("{{ n|size }}").render({"n": 2048}) == "2\xa0Ko"


def test_the_family_page_says_nee_le_1er(parent_client, family):
    ChildFactory(family=family, first_name="Inès", sex="F", birth_date=datetime.date(2017, 9, 1))
    ChildFactory(family=family, first_name="Paul", sex="M", birth_date=datetime.date(2019, 3, 2))
    text = page_text(parent_client.get("/famille/"))
    assert "née le 1er septembre 2017" in text
    assert "né le 2 mars 2019" in text
    assert "né(e)" not in text


def test_the_documents_page_writes_ko_and_the_month_in_full(parent_client, family):
    DocumentFactory(family=family)
    text = page_text(parent_client.get("/documents/"))
    assert "\xa0Ko," in text or "\xa0octets," in text
    assert "Kio" not in text and "KB" not in text


def test_a_childs_name_is_elided_in_pages_and_e_mails(parent_client, family):
    child = ChildFactory(family=family, first_name="Inès", sex="F")
    subject, body, _html = render_email("annual_file_submitted",
                                        {"child": child, "school_year": "2027-2028"})
    assert subject == "Dossier administratif 2027-2028 d'Inès : bien reçu"
    assert "de Inès" not in body and "d'Inès" in body


def test_the_admin_heading_is_elided(db):
    activity = ActivityFactory()
    page = login(StaffFactory()).get(f"/gestion/inscriptions/activity/{activity.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>Modification d&#x27;activité</h1>" in text
    assert "Modification de activité" not in text


@pytest.mark.django_db
def test_allauth_confirmation_says_the_address_once(client):
    UserFactory(email="ines.martin@example.org")
    EmailAddress.objects.filter(email="ines.martin@example.org").update(verified=False)
    address = EmailAddress.objects.get(email="ines.martin@example.org")
    key = EmailConfirmationHMAC(address).key
    text = page_text(client.get(reverse("account_confirm_email", args=[key])))
    assert "Confirmez que ines.martin@example.org est bien votre adresse e-mail" in text
    assert text.count("ines.martin@example.org") == 1


@pytest.mark.django_db
def test_staff_sent_to_log_in_read_about_the_service_not_a_family_space(client):
    staff_page = page_text(client.get("/gestion/", follow=True))
    assert "Espace du service" in staff_page
    assert "votre espace famille" not in staff_page
    assert "Première visite" not in staff_page
    parent_page = page_text(client.get(reverse("account_login")))
    assert "votre espace famille" in parent_page

