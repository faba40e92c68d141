"""Issue 23, item 12: axe-core (npm, package-lock.json) in Chromium on every parent page, as
a visitor and as a parent, in its normal state and with its form's errors shown, at 390 px
and 1,280 px: no violation of WCAG 2.1 A and AA (the rules axe can check automatically).

One browser, one context per width; the parent's session is Django's own cookie, set once per
context (the login page itself is checked as a visitor). axe is added to every page before
its own scripts (Playwright's init script: not subject to the page's CSP). Beside axe, the
borders of fields, selects, checkboxes and radios are measured (WCAG 1.4.11, 3:1), which axe
does not check. Without axe-core installed (`npm ci`, part of `make install`), the test
fails: it never skips."""

import json

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from portail import accessibility as statement
from tests.scenarios.accessibility import household_with_everything
from tests.scenarios.accounts import StaffFactory

AXE = settings.NODE_MODULES / "axe-core" / "axe.min.js"
WIDTHS = {"téléphone": {"width": 390, "height": 844},
          "ordinateur": {"width": 1280, "height": 800}}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# (address, HTTP status) a visitor opens.
VISITOR_PAGES = [("/", 200), ("/compte/login/", 200), ("/compte/signup/", 200),
                 ("/compte/password/reset/", 200), ("/compte/password/reset/done/", 200),
                 ("/compte/password/reset/key/done/", 200), ("/faq/", 200),
                 ("/accessibilite/", 200), ("/donnees-personnelles/", 200),
                 ("/attestations/verifier/", 200), ("/nulle-part/", 404),
                 # tests/error_urls.py: a refusal and a failure, as the visitor reads them.
                 ("/essai/interdit/", 403), ("/essai/base-indisponible/", 500)]
# Forms a visitor sends empty: the page then shows its errors.
VISITOR_FORMS = ["/compte/login/", "/compte/signup/", "/compte/password/reset/"]

# A parent just signed up, before his family exists: the onboarding form.
NEWCOMER_PAGES = [("/famille/creer/", 200)]
NEWCOMER_FORMS = ["/famille/creer/"]


def parent_pages(objects) -> list[tuple[str, int]]:
    return [("/", 200), ("/messages/", 200), ("/famille/", 200), ("/famille/historique/", 200),
            ("/famille/profil/", 200), ("/famille/fermer-mon-compte/", 200),
            ("/famille/enfants/ajouter/", 200), (objects["child_edit"], 200),
            ("/famille/entourage/", 200), ("/famille/entourage/ajouter/", 200),
            (objects["contact_edit"], 200), (objects["contact_delete"], 200),
            ("/documents/", 200), (objects["document_delete"], 200), ("/inscriptions/", 200),
            (objects["annual_file"], 200),
            (objects["new_annual_file"], 200),
            ("/reservations/", 200), ("/reservations/absences/", 200),
            (objects["justify"], 200),
            (objects["subscription"], 200), ("/reservations/agenda/", 200),
            ("/reservations/voeux/", 200), (objects["wishes_open"], 200),
            (objects["wishes_closed"], 200), (objects["wishes_published"], 200),
            (objects["wishes_decline"], 200),
            ("/factures/", 200), (objects["invoice"], 200), (objects["payment"], 200),
            (objects["attempt_return"], 200), (objects["demo_bank"], 200),
            ("/factures/prelevement/", 200),
            ("/attestations/", 200), ("/faq/", 200), ("/accessibilite/", 200),
            ("/donnees-personnelles/", 200),
            ("/compte/password/change/", 200), ("/compte/email/", 200),
            ("/nulle-part/", 404), (objects["pay"], 405)]


def parent_forms(objects) -> list[str]:
    return ["/famille/profil/", "/famille/fermer-mon-compte/", "/famille/",
            "/famille/enfants/ajouter/",
            "/famille/entourage/ajouter/", "/documents/", objects["new_annual_file"],
            objects["justify"], "/compte/password/change/", "/factures/prelevement/"]


# Empties the main form's fields a parent types into, lets the browser send it without its
# own checks (the server's messages are what is tested), and sends it.
SEND_EMPTY_JS = """() => {
  const forms = Array.from(document.querySelectorAll('main form')).filter(f => f.method === 'post');
  const form = forms.sort((a, b) => b.elements.length - a.elements.length)[0];
  for (const el of form.elements) {
    if (['text', 'email', 'tel', 'date', 'number', 'password', 'url', 'file'].includes(el.type)
        || el.tagName === 'TEXTAREA') el.value = '';
  }
  form.noValidate = true;
  const button = form.querySelector('button.btn-primary[type=submit]')
    || form.querySelector('button[type=submit], button:not([type]), input[type=submit]');
  button ? button.click() : form.submit();
}"""
HAS_FORM_JS = """() => Array.from(document.querySelectorAll('main form'))
  .some(f => f.method === 'post')"""
ERRORS_SHOWN_JS = """() => document.querySelectorAll(
  '.invalid-feedback, .errorlist, .alert-danger, [aria-invalid=true]').length"""
# WCAG 1.4.11, which axe does not check: the border of each field, select, checkbox and radio
# at least 3:1 against the background behind it. Answers the ones that fall short.
FAINT_BORDERS_JS = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  const behind = el => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return Array.from(document.querySelectorAll('main input, main select, main textarea'))
    .filter(el => !['hidden', 'submit', 'button'].includes(el.type) && el.offsetParent)
    .map(el => [el, ratio(rgb(getComputedStyle(el).borderTopColor).slice(0, 3), behind(el))])
    .filter(([el, r]) => r < 3)
    .map(([el, r]) => `${el.name || el.id}: ${r.toFixed(2)}:1`);
}"""
AXE_JS = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' → ' + n.failureSummary)}));
}"""


NAMES_JS = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'rule',
    values: ['label', 'select-name', 'button-name', 'link-name', 'aria-input-field-name']}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""


def check(page, what: str, found: dict) -> None:
    faint = page.evaluate(FAINT_BORDERS_JS)
    if faint:
        found.setdefault(("non-text-contrast", "serious", "Field borders under 3:1"),
                         []).append(f"{what}: {faint}")
    for violation in page.evaluate(AXE_JS, WCAG_TAGS):
        found.setdefault((violation["id"], violation["impact"], violation["help"]), []).append(
            f"{what}: {violation['nodes']}")


def walk(page, base_url, pages, forms, who, width, found, counted) -> None:
    for address, status in pages:
        response = page.goto(base_url + address)
        assert response.status == status, f"{who} {address}: {response.status}"
        check(page, f"{width} {who} {address}", found)
        counted.add((who, address))
    for address in forms:
        page.goto(base_url + address)
        assert page.evaluate(HAS_FORM_JS), f"{who} {address}: no form in <main>"
        with page.expect_navigation():
            page.evaluate(SEND_EMPTY_JS)
        assert page.evaluate(ERRORS_SHOWN_JS) > 0, f"{who} {address}: no error shown"
        check(page, f"{width} {who} {address} (erreurs)", found)
        counted.add((who, address + " (erreurs)"))


def session_cookie(user, live_server) -> dict:
    """Django's session cookie for ``user``, as after his login (second factor included)."""
    session = Client()
    session.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME,
            "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}


def report_of(found: dict) -> str:
    return "\n".join(f"{rule} ({impact}): {help}\n    " + "\n    ".join(where)
                     for (rule, impact, help), where in sorted(found.items()))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("width", list(WIDTHS))  # one test each: xdist runs them side by side
def test_every_parent_page_passes_axe(browser, live_server, settings, width):
    assert AXE.is_file(), f"axe-core missing ({AXE}): run `make install` (npm ci)"
    settings.PORTAIL_PAYMENT_PROVIDER = "demo"  # « Payer » and the demo's payment pages
    objects = household_with_everything()
    cookie = session_cookie(objects["guardian"].user, live_server)
    found: dict = {}
    counted: set = set()
    viewport = WIDTHS[width]
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        walk(page, live_server.url, VISITOR_PAGES, VISITOR_FORMS, "visiteur", width,
             found, counted)
        walk(page, live_server.url, [(objects["invitation"], 200)], [], "invité", width,
             found, counted)
        context.add_cookies([session_cookie(objects["newcomer"], live_server)])
        walk(page, live_server.url, NEWCOMER_PAGES, NEWCOMER_FORMS, "nouveau", width,
             found, counted)
        context.add_cookies([cookie])
        walk(page, live_server.url, parent_pages(objects), parent_forms(objects),
             "parent", width, found, counted)
        # The calendar asking to confirm a period before it books it (issue 23), with htmx.
        page.goto(live_server.url + objects["period_month"])
        page.get_by_role("main").get_by_role(
            "button", name="Réserver tous les mercredis de la période").first.click()
        expect(page.get_by_role("button", name="Confirmer la réservation")).to_be_visible()
        check(page, f"{width} parent /reservations/ (confirmation)", found)
        counted.add(("parent", "/reservations/ (confirmation)"))
    finally:
        context.close()
    assert not found, f"axe, WCAG 2.1 A/AA, on {len(counted)} page states:\n{report_of(found)}"
    assert len(counted) == len(VISITOR_PAGES) + len(VISITOR_FORMS) + 1 + len(
        NEWCOMER_PAGES) + len(NEWCOMER_FORMS) + len(parent_pages(objects)) + len(
        parent_forms(objects)) + 1
    # The accessibility statement says what was tested: it must stay true.
    assert len(counted) == statement.PAGE_STATES


def test_the_statement_names_the_installed_axe():
    package = json.loads((settings.BASE_DIR / "package.json").read_text())
    assert package["dependencies"]["axe-core"] == statement.AXE_VERSION


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_family_admin_pages_fields_all_have_a_label(browser, live_server):
    """The staff's family page (its children's and contacts' rows are tabular inlines) and
    its one-screen « fiche »: every field has an accessible name (axe « label », critical,
    26 times before). Only the rules about names: the rest of Django's admin is not ours."""
    assert AXE.is_file(), f"axe-core missing ({AXE}): run `make install` (npm ci)"
    objects = household_with_everything()
    family = objects["guardian"].family
    context = browser.new_context(viewport=WIDTHS["ordinateur"], locale="fr-FR")
    context.add_init_script(path=str(AXE))
    context.add_cookies([session_cookie(StaffFactory(), live_server)])
    found: dict = {}
    try:
        page = context.new_page()
        for address in (f"/gestion/familles/family/{family.pk}/change/",
                        f"/gestion/familles/family/{family.pk}/fiche/"):
            response = page.goto(live_server.url + address)
            assert response.status == 200, address
            for violation in page.evaluate(NAMES_JS):
                found.setdefault((violation["id"], violation["impact"], violation["help"]),
                                 []).append(f"{address}: {violation['nodes']}")
        assert not found, report_of(found)
        page.goto(live_server.url + f"/gestion/familles/family/{family.pk}/change/")
        assert page.get_by_label("Prénom – enfant 2").count() == 1, "a named child's row"
    finally:
        context.close()
