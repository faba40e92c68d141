"""A message to the families of one activity, in Chromium (issue 25): a staff member writes it
in the admin (1,280 px), checks the count and the list, sends it; the worker (eager here, in
the server's commit) writes one e-mail per family; a parent of that activity reads it on his
dashboard on a phone (390 px), a parent of another activity does not; the outbox holds
exactly the activity's families' addresses.

Locators are accessible names (labels, roles), as a screen reader finds them."""

import re

import pytest
from playwright.sync_api import Page, expect

from portail.models import Message
from tests.browser import assert_every_field_is_labelled, log_in, main
from tests.scenarios.accounts import TOTP_SECRET, StaffFactory
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.messages import enrolled_household, outbox_recipients

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SUBJECT = "Accueil du mercredi fermé le 14 octobre"


def field(text: str) -> re.Pattern:
    """An admin field's label, exactly, as Django writes it in French (« Objet : »)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*:?\s*$")


def test_a_message_to_one_activity_reaches_exactly_its_families(browser, live_server):
    activity = ActivityFactory(name="Mercredis des Tilleuls")
    reached = [enrolled_household(activity, family__name=name, first_name=first)
               for name, first in (("Famille Abalain", "Nolwenn"), ("Famille Berthou", "Yann"))]
    outsider = enrolled_household(ActivityFactory(name="Passerelle"),
                                  family__name="Famille Cloarec")
    staff = StaffFactory()

    # The agent writes the draft, then reads who it reaches before sending.
    context = browser.new_context(viewport=DESKTOP)
    try:
        agent = context.new_page()
        agent.set_default_timeout(15_000)
        log_in(agent, live_server.url, staff.email, totp_secret=TOTP_SECRET)
        agent.goto(live_server.url + "/gestion/portail/message/add/")
        assert_every_field_is_labelled(agent)
        form = agent.locator("#content")
        form.get_by_label(field("Type de message")).select_option(label="Fermeture")
        form.get_by_label(field("Objet")).fill(SUBJECT)
        form.get_by_label(field("Texte du message")).fill(
            "En raison d'une formation de l'équipe, l'accueil sera fermé ce jour-là.")
        form.get_by_label(field("Destinataires")).select_option(
            label="Les familles inscrites à une activité")
        form.get_by_label(field("Activité")).select_option(label=str(activity))
        form.get_by_role("button", name="Enregistrer", exact=True).click()

        expect(agent.get_by_text("Brouillon enregistré")).to_be_visible()
        audience = agent.get_by_role("table", name="Destinataires, si vous envoyez maintenant")
        expect(agent.locator("#message-audience-count")).to_contain_text(
            "2 familles : 2 par e-mail, 0 par courrier à imprimer")
        expect(audience).to_contain_text("Famille Abalain")
        expect(audience).to_contain_text("Famille Berthou")
        expect(audience).not_to_contain_text("Famille Cloarec")
        agent.get_by_role("button", name="Envoyer").click()
        expect(agent.get_by_text("Message envoyé à 2 familles")).to_be_visible()
        expect(agent.get_by_role("table", name="Familles à qui le message a été envoyé")
               ).to_contain_text("Famille Berthou")
    finally:
        context.close()

    message = Message.objects.get(subject=SUBJECT)
    assert message.state == Message.State.SENT
    assert outbox_recipients(message) == sorted(g.user.email for g in reached)

    # On a phone: a parent of the activity reads it on his dashboard, the other does not.
    for guardian, sees in ((reached[0], True), (outsider, False)):
        context = browser.new_context(viewport=PHONE)
        try:
            page: Page = context.new_page()
            page.set_default_timeout(15_000)
            log_in(page, live_server.url, guardian.user.email)
            expect(page.get_by_role("heading", level=1, name="Mon tableau de bord")
                   ).to_be_visible()
            if sees:
                messages = main(page).get_by_role("region", name="Messages du service")
                expect(messages.get_by_role("heading", name=SUBJECT)).to_be_visible()
                expect(messages).to_contain_text("formation de l'équipe")
                messages.get_by_role("link", name="Tous les messages du service").click()
                expect(page.get_by_role("heading", level=1, name="Messages du service")
                       ).to_be_visible()
                expect(main(page)).to_contain_text(SUBJECT)
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            else:
                expect(main(page)).not_to_contain_text(SUBJECT)
                expect(main(page)).not_to_contain_text("Messages du service")
        finally:
            context.close()
