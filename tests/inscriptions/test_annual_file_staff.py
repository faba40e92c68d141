"""Staff review of the dossiers administratifs, through the admin at /gestion/."""

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.http import urlencode

from familles.models import DocumentAccess
from ground import outbox
from ground.models import OutboxMessage
from inscriptions import queries, services
from inscriptions.models import AnnualFile, FamilyQuotient, HealthDataAccess
from tests.helpers import flash_messages, page_text, visible_text
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.enrolments import AnnualFileFactory, SchoolYearFactory
from tests.scenarios.families import ChildFactory, DocumentFactory, FamilyFactory, GuardianFactory

CHANGELIST = "/gestion/inscriptions/annualfile/"


def change_url(annual_file):
    return f"{CHANGELIST}{annual_file.pk}/change/"


def validate_url(annual_file):
    return reverse("admin:inscriptions_annualfile_validate", args=[annual_file.pk])


def return_url(annual_file):
    return reverse("admin:inscriptions_annualfile_return", args=[annual_file.pk])


class FormNesting(HTMLParser):
    """Records forms opened inside another form (browsers drop the inner <form> tag)."""

    def __init__(self):
        super().__init__()
        self.depth, self.nested = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            if self.depth:
                self.nested.append(dict(attrs).get("action"))
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


def nested_forms(html: str) -> list:
    parser = FormNesting()
    parser.feed(html)
    return parser.nested


def submitted_file(guardian, **kwargs):
    """A complete file, submitted by the parent through the service (as in real life)."""
    kwargs.setdefault("child", ChildFactory(family=guardian.family, first_name="Lou",
                                            last_name="Martin"))
    annual_file = AnnualFileFactory(**kwargs)
    annual_file = services.submit(guardian.family, annual_file, guardian.user)
    outbox.drain()  # the submission's own e-mail, sent as its request's commit would
    mail.outbox.clear()
    return annual_file


@pytest.fixture
def annual_file(guardian):
    return submitted_file(guardian)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Plays the commit of the test's transaction, as the end of a real request does: the
    outbox hands its messages to (eager) Celery, which delivers them to mail.outbox."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def staff(staff_user):
    return login(staff_user)


@pytest.fixture
def parent(guardian):
    return login(guardian.user)


# The queue ------------------------------------------------------------------------------

def test_queue_lists_submitted_files(staff, annual_file):
    response = staff.get(CHANGELIST)
    assert response.status_code == 200
    text = visible_text(response)
    assert "Lou Martin" in text
    assert str(annual_file.school_year) in text
    assert "En cours de traitement" in text
    assert change_url(annual_file) in page_text(response)


def test_queue_filters_by_year_state_and_school(staff, guardian, annual_file):
    family = guardian.family
    other_year = SchoolYearFactory()
    in_other_year = AnnualFileFactory(
        child=ChildFactory(family=family, first_name="Tom"), school_year=other_year,
        submitted=True)
    draft = AnnualFileFactory(child=ChildFactory(family=family, first_name="Zoé"),
                              school_year=annual_file.school_year)
    elsewhere = AnnualFileFactory(
        child=ChildFactory(family=family, first_name="Hugo", school="École des Pins"),
        school_year=annual_file.school_year, submitted=True)

    def listed(query):
        response = staff.get(CHANGELIST + query)
        assert response.status_code == 200
        return {f.pk for f in response.context["cl"].result_list}

    assert listed("") == {annual_file.pk, in_other_year.pk, draft.pk, elsewhere.pk}
    assert listed(f"?school_year__id__exact={other_year.pk}") == {in_other_year.pk}
    assert listed("?state__exact=submitted") == {annual_file.pk, in_other_year.pk,
                                                 elsewhere.pk}
    assert listed("?state__exact=draft") == {draft.pk}
    assert listed("?school=École des Pins") == {elsewhere.pk}
    assert listed(f"?school_year__id__exact={annual_file.school_year.pk}"
                  "&state__exact=submitted&school=École du Centre") == {annual_file.pk}
    # The filters are offered on the page.
    text = visible_text(staff.get(CHANGELIST))
    assert "Par année scolaire" in text and "Par état" in text and "Par école" in text


def test_queue_search_by_child_name(staff, guardian, annual_file):
    AnnualFileFactory(child=ChildFactory(family=guardian.family, first_name="Tom"),
                      school_year=annual_file.school_year, submitted=True)
    response = staff.get(CHANGELIST + "?q=Lou")
    assert [f.pk for f in response.context["cl"].result_list] == [annual_file.pk]


def test_parents_cannot_reach_the_queue(parent, annual_file):
    response = parent.get(CHANGELIST)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# The review page ------------------------------------------------------------------------

def test_review_page_shows_the_data_and_document_links(staff, annual_file):
    response = staff.get(change_url(annual_file))
    assert response.status_code == 200
    text = visible_text(response)
    html = page_text(response)
    for expected in ["Lou Martin", str(annual_file.child.family), "École du Centre", "CP",
                     "1234567", "2026-1", "En cours de traitement"]:
        assert expected in text, expected
    income = reverse("familles:document_download", args=[annual_file.income_document.pk])
    assert f'href="{income}?voir=1"' in html
    assert "Avis d'imposition – avis-imposition.pdf" in text
    # The family quotient can be set from here, with the proof preselected.
    assert ("/gestion/inscriptions/familyquotient/add/?family="
            f"{annual_file.child.family.pk}&amp;source_document="
            f"{annual_file.income_document.pk}") in response.content.decode()
    # Read-only: the family's answers cannot be edited by the staff.
    assert 'name="school"' not in html and 'name="_save"' not in html
    # The decision block.
    assert f'action="{validate_url(annual_file)}"' in html
    assert f'action="{return_url(annual_file)}"' in html
    assert 'value="Valider le dossier"' in html
    # Its buttons must submit their own forms, not the admin's read-only change form.
    assert nested_forms(response.content.decode()) == []


def test_document_link_opens_the_document_for_staff(staff, staff_user, annual_file):
    document = annual_file.income_document
    response = staff.get(reverse("familles:document_download", args=[document.pk]) + "?voir=1")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert DocumentAccess.objects.filter(document=document, user=staff_user).count() == 1


def test_staff_without_health_permission_see_no_health_data(annual_file):
    agent = staff_without("view_health_data", "view_health_document")
    response = login(agent).get(change_url(annual_file))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Lou Martin" in text
    for secret in ["Arachide", "Asthme", "Dr Le Gall", "02 97 11 22 33", "Sans porc",
                   "Santé", "carnet-de-vaccination.pdf"]:
        assert secret not in text, secret
    vaccination = reverse("familles:document_download",
                          args=[annual_file.vaccination_document.pk])
    assert vaccination not in page_text(response)
    assert not HealthDataAccess.objects.exists()


def test_staff_with_health_permission_see_it_and_the_access_is_recorded(staff, staff_user,
                                                                        annual_file):
    response = staff.get(change_url(annual_file))
    text = visible_text(response)
    for expected in ["Santé (données sensibles)", "Arachide", "Asthme léger", "Dr Le Gall",
                     "02 97 11 22 33", "Sans porc", "carnet-de-vaccination.pdf"]:
        assert expected in text, expected
    vaccination = reverse("familles:document_download",
                          args=[annual_file.vaccination_document.pk])
    assert f'href="{vaccination}?voir=1"' in page_text(response)
    access = HealthDataAccess.objects.get()
    assert (access.annual_file, access.user) == (annual_file, staff_user)
    staff.get(change_url(annual_file))
    assert HealthDataAccess.objects.count() == 2


def test_history_does_not_leak_health_data_to_staff_without_permission(guardian):
    annual_file = AnnualFileFactory(child=ChildFactory(family=guardian.family),
                                    allergies="")
    services.save_draft(guardian.family, annual_file, {"allergies": "Kiwi"}, [])
    services.submit(guardian.family, annual_file, guardian.user)
    agent = staff_without("view_health_data", "view_health_document")
    response = login(agent).get(f"{change_url(annual_file)[:-len('change/')]}history/")
    assert response.status_code == 200
    assert "Kiwi" not in visible_text(response)
    assert not HealthDataAccess.objects.exists()
    # Those allowed see the change, and the access is recorded.
    allowed = StaffFactory()
    response = login(allowed).get(f"{change_url(annual_file)[:-len('change/')]}history/")
    assert "Kiwi" in visible_text(response)
    assert HealthDataAccess.objects.get().user == allowed


# Decisions ------------------------------------------------------------------------------

def test_validate_from_the_review_page(commit, staff, staff_user, guardian, annual_file):
    second_guardian = GuardianFactory(family=guardian.family, first_name="Alex")
    with commit():
        response = staff.post(validate_url(annual_file), follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert "Dossier validé ; la famille est prévenue par e-mail." in flash_messages(response)
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.VALIDATED
    assert annual_file.decided_by == staff_user
    assert annual_file.decided_at is not None
    [message] = mail.outbox
    assert sorted(message.to) == sorted([guardian.user.email, second_guardian.user.email])
    year = annual_file.school_year.label
    assert message.subject == f"Dossier administratif {year} de Lou : validé"
    assert f"Le dossier administratif {year} de Lou Martin est validé." in message.body
    assert OutboxMessage.objects.filter(template="annual_file_validated",
                                        status=OutboxMessage.Status.SENT).count() == 1
    # Decided files offer no more decision.
    html = page_text(staff.get(change_url(annual_file)))
    assert "Valider le dossier" not in html


def test_shared_custody_both_households_are_told(commit, staff, guardian):
    other = GuardianFactory(family=FamilyFactory(name="Famille Durand"))
    child = ChildFactory(family=guardian.family, second_family=other.family,
                         first_name="Lou", last_name="Martin")
    annual_file = submitted_file(guardian, child=child)
    with commit():
        staff.post(validate_url(annual_file))
    # each household in its own message: neither sees the other's addresses
    assert sorted(m.to for m in mail.outbox) == sorted([[guardian.user.email],
                                                         [other.user.email]])
    assert all("Lou Martin" in m.body for m in mail.outbox)


def test_return_with_comment_then_the_parent_corrects_and_submits_again(commit, staff, staff_user,
                                                                       parent, guardian,
                                                                       annual_file):
    comment = "Le carnet de vaccination est illisible : merci de le renvoyer."
    with commit():
        response = staff.post(return_url(annual_file), {"comment": comment}, follow=True)
    assert "Dossier renvoyé à la famille avec votre commentaire." in flash_messages(response)
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.RETURNED
    assert annual_file.staff_comment == comment
    assert annual_file.decided_by == staff_user
    [message] = mail.outbox
    assert message.to == [guardian.user.email]
    year = annual_file.school_year.label
    assert message.subject == f"Dossier administratif {year} de Lou : à compléter"
    assert comment in message.body and "Lou Martin" in message.body

    page_url = reverse("inscriptions:annual_file",
                       args=[annual_file.child.pk, annual_file.school_year.pk])
    page = parent.get(page_url)
    text = visible_text(page)
    assert "Le service vous demande de compléter ce dossier" in text
    assert comment in text
    assert 'name="submit"' in page_text(page)

    mail.outbox.clear()
    form = page.context["form"]
    data = {name: value for name, value in form.initial.items()
            if value not in (None, False) and name in form.fields}
    data["authorised_contacts"] = []
    data["vaccination_document"] = str(annual_file.vaccination_document.pk)
    data["income_document"] = str(annual_file.income_document.pk)
    data.update({"accept_rules": "on", "submit": ""})
    with commit():
        response = parent.post(page_url, data, follow=True)
    assert response.status_code == 200, visible_text(response)
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert "en cours de traitement" in visible_text(response)
    [receipt] = mail.outbox
    assert receipt.subject == f"Dossier administratif {year} de Lou : bien reçu"

    # Staff see it back in the queue and can validate it now.
    with commit():
        staff.post(validate_url(annual_file))
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.VALIDATED
    assert annual_file.staff_comment == ""


def test_return_without_comment_is_refused(commit, staff, annual_file):
    queued = OutboxMessage.objects.count()  # the receipt of the submission
    for comment in ["", "   "]:
        with commit():
            response = staff.post(return_url(annual_file), {"comment": comment})
        assert response.status_code == 200
        assert "Ce champ est obligatoire." in visible_text(response)
        annual_file.refresh_from_db()
        assert annual_file.state == AnnualFile.State.SUBMITTED
        assert annual_file.decided_at is None
    assert mail.outbox == []
    assert OutboxMessage.objects.count() == queued


def test_return_page_shows_the_comment_form(staff, annual_file):
    response = staff.get(return_url(annual_file))
    assert response.status_code == 200
    html = page_text(response)
    assert "Ce que la famille doit corriger" in html
    assert str(annual_file) in html


def test_validating_a_draft_is_refused(commit, staff, guardian):
    draft = AnnualFileFactory(child=ChildFactory(family=guardian.family))
    with commit():
        response = staff.post(validate_url(draft), follow=True)
    [error] = flash_messages(response)
    assert error.startswith("Seul un dossier transmis peut être validé")
    draft.refresh_from_db()
    assert draft.state == AnnualFile.State.DRAFT
    assert draft.decided_by is None
    assert mail.outbox == []


def test_a_decided_file_cannot_be_decided_again(commit, staff, annual_file):
    staff.post(validate_url(annual_file))
    mail.outbox.clear()
    with commit():
        response = staff.post(return_url(annual_file), {"comment": "Trop tard"},
                              follow=True)
    assert "Seul un dossier transmis peut être renvoyé à la famille." in (
        flash_messages(response))
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.VALIDATED
    assert mail.outbox == []


def test_validate_url_needs_a_post(staff, annual_file):
    staff.get(validate_url(annual_file))
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.SUBMITTED


def test_bulk_validate(commit, staff, staff_user, guardian, annual_file):
    second = submitted_file(guardian, child=ChildFactory(family=guardian.family,
                                                          first_name="Tom"),
                            school_year=annual_file.school_year)
    untouched = submitted_file(guardian, child=ChildFactory(family=guardian.family,
                                                             first_name="Zoé"),
                               school_year=annual_file.school_year)
    with commit():
        response = staff.post(CHANGELIST, {
            "action": "validate_selected", "_selected_action": [annual_file.pk, second.pk],
            "post": "yes"}, follow=True)
    assert "2 dossier(s) validé(s)." in flash_messages(response)
    states = dict(AnnualFile.objects.values_list("pk", "state"))
    assert states == {annual_file.pk: "validated", second.pk: "validated",
                      untouched.pk: "submitted"}
    assert set(AnnualFile.objects.filter(state="validated").values_list(
        "decided_by", flat=True)) == {staff_user.pk}
    assert sorted(m.subject.split(" de ")[1] for m in mail.outbox) == ["Lou : validé",
                                                                        "Tom : validé"]


def test_bulk_validate_skips_drafts_with_a_warning(staff, guardian, annual_file):
    draft = AnnualFileFactory(child=ChildFactory(family=guardian.family, first_name="Zoé"),
                              school_year=annual_file.school_year)
    response = staff.post(CHANGELIST, {
        "action": "validate_selected", "_selected_action": [annual_file.pk, draft.pk],
        "post": "yes"}, follow=True)
    messages = flash_messages(response)
    assert "1 dossier(s) validé(s)." in messages
    assert any(m.startswith("Seul un dossier transmis peut être validé") for m in messages)
    draft.refresh_from_db()
    assert draft.state == AnnualFile.State.DRAFT


def test_bulk_validation_asks_first_with_the_counts_and_the_files_never_opened(
        staff, guardian, annual_file):
    opened = submitted_file(guardian, child=ChildFactory(family=guardian.family,
                                                          first_name="Tom"),
                            school_year=annual_file.school_year)
    draft = AnnualFileFactory(child=ChildFactory(family=guardian.family, first_name="Zoé"),
                              school_year=annual_file.school_year)
    staff.get(change_url(opened))  # an agent reads Tom's file, nobody Lou's
    filters = f"school_year__id__exact={annual_file.school_year_id}"
    response = staff.post(f"{CHANGELIST}?{filters}", {
        "action": "validate_selected", "index": "0",
        "_selected_action": [annual_file.pk, opened.pk, draft.pk]})
    assert response.status_code == 200
    text = visible_text(response)
    assert "Valider les dossiers sélectionnés ?" in text
    assert "3 sélectionnés" in text
    assert "2 en attente de décision : ils seront validés" in text
    assert "1 déjà décidé ou pas encore transmis : il ne sera pas modifié" in text
    assert f"1 n'a jamais été ouvert par le service Personne n'a encore lu ces dossiers : " \
           f"vérifiez-les avant de les valider. {annual_file}" in text
    assert str(opened) not in text.split("jamais été ouvert")[1]
    html = page_text(response)
    assert f'href="{change_url(annual_file)}?{urlencode({"_changelist_filters": filters})}"' in html
    assert f'href="{CHANGELIST}?{filters}" class="button cancel-link"' in html
    assert set(AnnualFile.objects.values_list("state", flat=True)) == {"submitted", "draft"}

    response = staff.post(f"{CHANGELIST}?{filters}", {
        "action": "validate_selected", "post": "yes",
        "_selected_action": [annual_file.pk, opened.pk, draft.pk]}, follow=True)
    assert "2 dossier(s) validé(s)." in flash_messages(response)
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}?{filters}"


def test_a_new_submission_is_unopened_again(staff, guardian, annual_file):
    staff.get(change_url(annual_file))
    annual_file.refresh_from_db()
    assert annual_file.opened_at is not None
    services.return_to_family(annual_file, StaffFactory(), "Le carnet est illisible.")
    services.submit(guardian.family, annual_file, guardian.user)
    annual_file.refresh_from_db()
    assert annual_file.opened_at is None


def test_validate_from_the_review_page_keeps_the_lists_filters(staff, annual_file):
    filters = f"school_year__id__exact={annual_file.school_year_id}&state__exact=submitted"
    preserved = urlencode({"_changelist_filters": filters})
    page = page_text(staff.get(f"{change_url(annual_file)}?{preserved}"))
    action = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" '
                       r'name="csrfmiddlewaretoken"[^>]*>\s*<input type="submit" '
                       r'class="default" value="Valider le dossier"', page).group(1)
    assert action.startswith(validate_url(annual_file) + "?_changelist_filters=")
    response = staff.post(action)
    assert response.status_code == 302
    assert response.url == f"{CHANGELIST}?{filters}"
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.VALIDATED
    # The return page's form goes back to the same list too.
    other = submitted_file(GuardianFactory())
    page = page_text(staff.get(f"{change_url(other)}?{preserved}"))
    assert f'action="{return_url(other)}?_changelist_filters=' in page
    response = staff.post(f"{return_url(other)}?{preserved}",
                          {"comment": "Le carnet est illisible."})
    assert response.url == f"{CHANGELIST}?{filters}"


def test_bulk_return_through_the_comment_page(commit, staff, guardian, annual_file):
    second = submitted_file(guardian, child=ChildFactory(family=guardian.family,
                                                          first_name="Tom"),
                            school_year=annual_file.school_year)
    selection = {"action": "return_selected", "index": "0",
                 "_selected_action": [annual_file.pk, second.pk]}
    page = staff.post(CHANGELIST, selection)
    assert page.status_code == 200
    html = page_text(page)
    assert "Ce que la famille doit corriger" in html
    assert str(annual_file) in html and str(second) in html
    assert AnnualFile.objects.filter(state="submitted").count() == 2
    # Without a comment the page comes back, nothing changes.
    with commit():
        again = staff.post(CHANGELIST, {**selection, "comment": ""})
    assert again.status_code == 200
    assert "Ce champ est obligatoire." in visible_text(again)
    assert AnnualFile.objects.filter(state="submitted").count() == 2
    assert mail.outbox == []

    comment = "Il manque l'attestation CAF de cette année."
    with commit():
        response = staff.post(CHANGELIST, {**selection, "comment": comment}, follow=True)
    assert "2 dossier(s) renvoyé(s) à la famille." in flash_messages(response)
    for annual in (annual_file, second):
        annual.refresh_from_db()
        assert annual.state == AnnualFile.State.RETURNED
        assert annual.staff_comment == comment
    assert len(mail.outbox) == 2
    assert all(comment in m.body for m in mail.outbox)


def test_staff_without_decide_permission_cannot_decide(commit, annual_file):
    agent = login(staff_without("decide_annualfile"))
    with commit():
        assert agent.post(validate_url(annual_file)).status_code == 403
        assert agent.post(return_url(annual_file), {"comment": "Non"}).status_code == 403
    review = agent.get(change_url(annual_file))
    assert review.status_code == 200
    assert "Valider le dossier" not in page_text(review)
    changelist = agent.get(CHANGELIST)
    assert "validate_selected" not in page_text(changelist)
    with commit():
        response = agent.post(CHANGELIST, {"action": "validate_selected", "index": "0",
                                           "_selected_action": [annual_file.pk]})
    assert response.status_code in (200, 302)
    annual_file.refresh_from_db()
    assert annual_file.state == AnnualFile.State.SUBMITTED
    assert mail.outbox == []


# Family quotient ------------------------------------------------------------------------

FQ_ADD = "/gestion/inscriptions/familyquotient/add/"


def test_family_quotient_is_set_by_the_staff_user(staff, staff_user, annual_file):
    family = annual_file.child.family
    proof = annual_file.income_document
    form = staff.get(f"{FQ_ADD}?family={family.pk}&source_document={proof.pk}")
    assert form.status_code == 200
    response = staff.post(FQ_ADD, {
        "family": family.pk, "value": "850", "valid_from": "01/09/2027",
        "valid_until": "31/08/2028", "source_document": proof.pk,
    })
    assert response.status_code == 302, visible_text(response)
    quotient = FamilyQuotient.objects.get()
    assert (quotient.family, quotient.value, quotient.source_document, quotient.set_by) == (
        family, 850, proof, staff_user)
    assert queries.family_quotient_on(family, quotient.valid_from) == quotient
    # The review page shows it.
    assert "850 €" in visible_text(staff.get(change_url(annual_file)))


def test_family_quotient_refuses_another_familys_document(staff, annual_file):
    family = annual_file.child.family
    foreign = DocumentFactory(family=FamilyFactory(name="Famille Autre"))
    response = staff.post(FQ_ADD, {
        "family": family.pk, "value": "850", "valid_from": "01/09/2027",
        "valid_until": "31/08/2028", "source_document": foreign.pk,
    })
    assert response.status_code == 200
    assert "Le justificatif doit appartenir à cette famille." in visible_text(response)
    assert not FamilyQuotient.objects.exists()


def test_family_quotient_refuses_dates_in_the_wrong_order(staff, annual_file):
    response = staff.post(FQ_ADD, {
        "family": annual_file.child.family.pk, "value": "850", "valid_from": "01/09/2028",
        "valid_until": "31/08/2027",
    })
    assert response.status_code == 200
    assert "La fin de validité doit suivre son début." in visible_text(response)
    assert not FamilyQuotient.objects.exists()


# History --------------------------------------------------------------------------------

def test_history_lists_the_transitions(staff, staff_user, guardian, annual_file):
    staff.post(return_url(annual_file), {"comment": "Pièce manquante"})
    annual_file.refresh_from_db()
    services.submit(guardian.family, annual_file, guardian.user)
    staff.post(validate_url(annual_file))
    response = staff.get(f"{CHANGELIST}{annual_file.pk}/history/")
    assert response.status_code == 200
    records = list(annual_file.history.order_by("history_date"))
    assert [r.state for r in records] == ["draft", "submitted", "returned", "submitted",
                                          "validated"]
    text = visible_text(response)
    assert f"{len(records)} entrées" in text or f"{len(records)} entries" in text
    assert staff_user.email in text
    for label in ["Brouillon", "En cours de traitement", "À compléter", "Validé"]:
        assert label in text, label
