"""The pages everyone sees: landing, FAQ, accessibility statement, dashboard, and the layout
they share (RGAA basics a test can check: language, skip link, landmarks, labelled fields)."""

from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ground.commune import update_commune
from portail import accessibility as statement
from tests.helpers import page_text, pdf_bytes, visible_text
from tests.scenarios.accounts import UserFactory
from tests.scenarios.families import ChildFactory, ContactFactory, FamilyFactory

FOCUSABLE = {"a", "button", "input", "select", "textarea"}


class Page(HTMLParser):
    """The elements of a page, in order, with their attributes and the text inside links."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self._open_links = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag in ("a", "label", "button"):
            self._open_links.append(element)

    def handle_endtag(self, tag):
        if self._open_links and self._open_links[-1]["tag"] == tag:
            self._open_links.pop()

    def handle_data(self, data):
        for element in self._open_links:
            element["text"] += data

    def all(self, tag, **attrs):
        return [e for e in self.elements if e["tag"] == tag
                and all(e["attrs"].get(k) == v for k, v in attrs.items())]

    def by_id(self, element_id):
        return [e for e in self.elements if e["attrs"].get("id") == element_id]


def parse(response):
    return Page(response.content.decode())


@pytest.fixture
def brand_settings(db):
    """Distinctive contacts, to prove the pages take them from the commune's settings."""
    return update_commune(name="Ploeren", service_phone="02 97 40 14 90",
                          service_email="espace-famille@ploeren.example")


# --- Landing, FAQ, accessibility --------------------------------------------------------

def test_landing_page_for_visitors(client, db, brand_settings):
    response = client.get("/")
    assert response.status_code == 200
    page = parse(response)
    links = {e["attrs"].get("href"): " ".join(e["text"].split()) for e in page.all("a")}
    assert links["/compte/login/"] in ("Je me connecte", "Se connecter")
    assert links["/compte/signup/"] in ("Créer mon espace",)
    assert links["/compte/password/reset/"] == "J'ai oublié mon mot de passe"
    text = visible_text(response)
    assert "Toutes vos démarches péri et extra-scolaires" in text
    assert "Ploeren" in text


FAQ_QUESTIONS = [
    ("Je dois modifier mes informations personnelles.", "« Profil »"),
    ("J'ai un enfant scolarisé en cours d'année.", "« Ajouter un enfant »"),
    ("Je souhaite suivre l'état de mes demandes, consulter, payer ou télécharger une facture.",
     "« Mon tableau de bord »"),
    ("Je n'ai pas accès aux réservations.", "dossier administratif validé"),
    ("Je souhaite annuler une réservation mais je suis hors délai.",
     "« Justifier une absence », jusqu'à 48 heures après la journée"),
    ("Je ne me souviens plus de mon mot de passe.", "« J'ai oublié mon mot de passe »"),
    ("Nouvelle famille dans la commune ?", "02 97 40 14 90"),
]


def test_faq_answers_the_brochure_questions(client, db, brand_settings):
    response = client.get("/faq/")
    assert response.status_code == 200
    html = page_text(response)
    for question, answer in FAQ_QUESTIONS:
        assert f"<dt>{question}</dt>" in html, question
        following = html.split(f"<dt>{question}</dt>", 1)[1].split("</dd>", 1)[0]
        assert answer in following, question
    assert "espace-famille@ploeren.example" in html
    assert 'href="/compte/password/reset/"' in html
    # No e-mail or phone for absences: the brochure insists.
    assert "pas justifiées par e-mail ni par téléphone" in html


def test_accessibility_statement(client, db, brand_settings):
    response = client.get("/accessibilite/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Déclaration d'accessibilité" in text
    assert "partiellement conforme" in text and "RGAA" in text
    assert "Défenseur des droits" in text
    assert "02 97 40 14 90" in text and "espace-famille@ploeren.example" in text
    # Issue 23, item 12: the date, the method, the pages and the rate, from what the
    # automated test checks (portail/accessibility.py, held true by that test).
    assert "Dernier contrôle : le 7 décembre 2026" in text
    assert f"axe-core, version {statement.AXE_VERSION}" in text and "WCAG 2.1" in text
    assert f"0 défaut détecté sur {statement.PAGE_STATES} états de page" in text
    assert "taux de conformité aux critères du RGAA n'est donc pas encore connu" in text
    assert "Pages testées" in text and "Pas encore testées automatiquement" in text
    assert "4,5:1" in text and "3:1" in text
    # Reachable from every page's footer.
    footer = page_text(client.get("/faq/")).split("<footer", 1)[1]
    assert 'href="/accessibilite/"' in footer


# --- Dashboard ----------------------------------------------------------------------------

TODO_CHILDREN = "Ajoutez vos enfants pour pouvoir les inscrire."
TODO_CONTACTS = "Indiquez les personnes autorisées à venir chercher vos enfants"
TODO_INCOME = "Déposez un justificatif de revenus"


def test_new_family_dashboard_lists_what_to_do(parent_client, family):
    response = parent_client.get("/")
    assert response.status_code == 200
    html = page_text(response)
    assert "<h2 id=\"todo-title\" class=\"h4\">À faire</h2>" in html
    for item in (TODO_CHILDREN, TODO_CONTACTS, TODO_INCOME):
        assert item in html
    assert "Aucun enfant enregistré pour l'instant." in html
    # Each item leads to a page that works.
    todo_links = [e["attrs"]["href"] for e in parse(response).all("a")
                  if "btn-sm" in e["attrs"].get("class", "")]
    assert todo_links == ["/famille/enfants/ajouter/", "/famille/entourage/ajouter/",
                          "/documents/?type=tax_notice"]
    for url in todo_links:
        assert parent_client.get(url).status_code == 200
    # The income link preselects the type of document.
    form = page_text(parent_client.get("/documents/?type=tax_notice"))
    assert '<option value="tax_notice" selected>' in form


def test_dashboard_shows_children_and_clears_done_items(parent_client, family):
    lou = ChildFactory(family=family, first_name="Lou", last_name="Martin",
                       school="École des Pins", school_class="CE2")
    shared = ChildFactory(family=FamilyFactory(), second_family=family, first_name="Inès",
                          last_name="Kergoat")
    ChildFactory(first_name="Étranger")  # another family's child
    html = page_text(parent_client.get("/"))
    assert "Lou Martin – École des Pins, CE2" in html
    assert "Inès Kergoat" in html
    assert "Étranger" not in html
    assert TODO_CHILDREN not in html
    assert TODO_CONTACTS in html

    ContactFactory(family=family, children=[lou, shared])
    parent_client.post("/documents/", {
        "kind": "caf", "file": SimpleUploadedFile("caf.pdf", pdf_bytes())})
    html = page_text(parent_client.get("/"))
    assert "À faire" not in html
    assert TODO_CONTACTS not in html and TODO_INCOME not in html
    assert "Lou Martin" in html


def test_a_health_document_does_not_count_as_income_proof(parent_client, family):
    parent_client.post("/documents/", {
        "kind": "vaccination", "file": SimpleUploadedFile("vaccins.pdf", pdf_bytes())})
    assert TODO_INCOME in page_text(parent_client.get("/"))


# --- The layout shared by every page ------------------------------------------------------

PUBLIC_PAGES = ["/", "/faq/", "/accessibilite/", "/compte/login/", "/compte/signup/"]
FAMILY_PAGES = ["/", "/famille/", "/famille/profil/", "/famille/enfants/ajouter/",
                "/famille/entourage/", "/famille/entourage/ajouter/", "/documents/"]


def check_layout(response, commune):
    assert response.status_code == 200
    page = parse(response)
    html = response.content.decode()
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert page.all("html")[0]["attrs"].get("lang") == "fr"
    assert commune.name in page_text(response).split("<title>", 1)[1].split("</title>")[0]

    # The skip link is the first thing a keyboard reaches, and it leads to the main content.
    body = page.elements.index(page.all("body")[0])
    first = next(e for e in page.elements[body:] if e["tag"] in FOCUSABLE)
    assert first["attrs"].get("href") == "#contenu"
    assert first["text"].strip() == "Aller au contenu"
    [target] = page.by_id("contenu")
    assert target["tag"] == "main"

    # Landmarks: one banner, one main, one contentinfo, a labelled navigation.
    assert len(page.all("header", role="banner")) == 1
    assert len(page.all("main")) == 1
    assert len(page.all("footer", role="contentinfo")) == 1
    assert [n["attrs"].get("aria-label") for n in page.all("nav")] == ["Menu principal"]
    assert len(page.all("h1")) == 1

    # The service's contacts are in the footer, from the settings.
    footer = page_text(response).split("<footer", 1)[1]
    assert commune.service_phone in footer and commune.service_email in footer
    assert f'href="tel:{commune.service_phone.replace(" ", "")}"' in footer


def check_labels(response) -> int:
    """Every field a parent fills has a label (or an accessible name). Returns their number."""
    page = parse(response)
    labelled = {e["attrs"].get("for") for e in page.all("label") if e["text"].strip()}
    fields = [e["attrs"] for e in page.elements if e["tag"] in ("input", "select", "textarea")
              and e["attrs"].get("type") not in ("hidden", "submit")]
    for attrs in fields:
        assert attrs.get("id") in labelled or attrs.get("aria-label"), attrs
    return len(fields)


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_share_the_accessible_layout(client, db, brand_settings, url):
    response = client.get(url)
    check_layout(response, brand_settings)
    check_labels(response)


@pytest.mark.parametrize("url", FAMILY_PAGES)
def test_family_pages_share_the_accessible_layout(parent_client, family, brand_settings, url):
    ChildFactory(family=family)
    response = parent_client.get(url)
    check_layout(response, brand_settings)
    check_labels(response)
    nav = page_text(response).split("<nav", 1)[1].split("</nav>", 1)[0]
    for item in ("Mon tableau de bord", "Ma famille", "Entourage", "Mes documents", "Profil",
                 "Se déconnecter"):
        assert item in nav


def test_onboarding_form_fields_are_labelled(client, db, brand_settings):
    client.force_login(UserFactory())
    response = client.get("/famille/creer/")
    check_layout(response, brand_settings)
    assert check_labels(response) == 9  # names, relation, 3 phones, address, postal code, city


def test_health_check(client, db):
    assert client.get("/sante/").json() == {"status": "ok"}
