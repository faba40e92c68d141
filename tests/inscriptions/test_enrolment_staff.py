"""Staff side of enrolments and of the activity catalogue, through the admin at /gestion/."""

import pytest
from django.urls import reverse

from familles.models import Document
from ground.models import OutboxMessage
from inscriptions import services
from inscriptions.models import Activity, Enrolment
from tests.helpers import flash_messages, page_text, visible_text
from tests.scenarios.accounts import login, staff_without
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    SchoolYearFactory,
    SiteFactory,
)
from tests.scenarios.families import ChildFactory

CHANGELIST = "/gestion/inscriptions/enrolment/"
ACTIVITIES = "/gestion/inscriptions/activity/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    return SchoolYearFactory()


@pytest.fixture
def passerelle(year):
    return ActivityFactory(school_year=year, staff_validated=True, name="Passerelle du mercredi",
                           kind="passerelle_wednesday",
                           sites=[SiteFactory(name="Espace jeunes"), SiteFactory(name="Le Port")])


def request(guardian, activity, first_name="Lou", site=None):
    """A child with a validated file whose parent asks for the activity, through the service."""
    child = ChildFactory(family=guardian.family, first_name=first_name, last_name="Martin")
    AnnualFileFactory(child=child, school_year=activity.school_year, validated=True)
    return services.request_enrolment(guardian.family, child.pk, activity,
                                      site or activity.sites.first(), guardian.user)


@pytest.fixture
def pending(guardian, passerelle):
    return request(guardian, passerelle)


def listed(client, query=""):
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return [str(e) for e in response.context["cl"].result_list]


def emails(template):
    return list(OutboxMessage.objects.filter(template=template))


def action(client, name, enrolments, **extra):
    return client.post(CHANGELIST, {"action": name, "index": "0",
                                    "_selected_action": [e.pk for e in enrolments], **extra},
                       follow=True)


# The queue ------------------------------------------------------------------------------

def test_queue_shows_requests_first_with_filters_and_search(staff_client, guardian, year,
                                                            passerelle, pending):
    canteen = ActivityFactory(school_year=year, canteen=True, name="Cantine")
    validated = request(guardian, canteen, first_name="Tom")
    assert validated.state == Enrolment.State.VALIDATED  # the canteen validates at once

    response = staff_client.get(CHANGELIST)
    text = visible_text(response)
    assert "Lou Martin" in text and "Tom Martin" in text
    assert "En attente de validation" in text
    assert listed(staff_client) == [str(pending), str(validated)]  # waiting ones first

    assert listed(staff_client, "?state__exact=requested") == [str(pending)]
    assert listed(staff_client, f"?activity__id__exact={canteen.pk}") == [str(validated)]
    assert listed(staff_client, f"?site__id__exact={pending.site_id}") == [str(pending)]
    other_year = SchoolYearFactory()
    assert listed(staff_client, f"?activity__school_year__id__exact={other_year.pk}") == []
    assert listed(staff_client, "?q=tom") == [str(validated)]


def test_parents_cannot_reach_the_staff_pages(parent_client, pending):
    for url in (CHANGELIST, reverse("admin:inscriptions_enrolment_validate", args=[pending.pk])):
        response = parent_client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


# Decisions ------------------------------------------------------------------------------

def test_validate_action_emails_the_family(staff_client, staff_user, guardian, pending):
    response = action(staff_client, "validate_selected", [pending])
    assert "1 inscription(s) validée(s) ; les familles sont prévenues." in (
        flash_messages(response))
    pending.refresh_from_db()
    assert pending.state == Enrolment.State.VALIDATED
    assert pending.decided_by == staff_user
    (message,) = emails("enrolment_validated")
    assert message.to == [guardian.user.email]
    assert "Lou" in message.subject + message.body_text


def test_refuse_action_asks_for_the_reason_then_emails_it(staff_client, staff_user, guardian,
                                                          passerelle, pending):
    second = request(guardian, passerelle, first_name="Tom")
    response = action(staff_client, "refuse_selected", [pending, second])
    html = page_text(response)
    assert "Motif du refus, envoyé à la famille" in html
    assert 'name="comment"' in html
    assert html.count('name="_selected_action"') == 2
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"requested"}

    reason = "Le groupe est complet cette année : nous vous proposons l'accueil de loisirs."
    response = action(staff_client, "refuse_selected", [pending, second], comment=reason)
    assert "2 demande(s) refusée(s) ; les familles reçoivent le motif." in (
        flash_messages(response))
    for enrolment in (pending, second):
        enrolment.refresh_from_db()
        assert enrolment.state == Enrolment.State.REFUSED
        assert enrolment.staff_comment == reason
        assert enrolment.decided_by == staff_user
    refused = emails("enrolment_refused")
    assert len(refused) == 2
    assert all(reason in m.body_text and m.to == [guardian.user.email] for m in refused)


def test_refusing_without_a_reason_is_not_possible(staff_client, pending):
    response = action(staff_client, "refuse_selected", [pending], comment="   ")
    assert "Ce champ est obligatoire." in page_text(response)
    pending.refresh_from_db()
    assert pending.state == Enrolment.State.REQUESTED
    assert emails("enrolment_refused") == []


def test_a_decided_enrolment_is_not_decided_again(staff_client, pending):
    action(staff_client, "validate_selected", [pending])
    response = action(staff_client, "refuse_selected", [pending], comment="Trop tard")
    messages = flash_messages(response)
    assert any("Seule une demande en attente peut être refusée." in m for m in messages)
    pending.refresh_from_db()
    assert pending.state == Enrolment.State.VALIDATED
    assert emails("enrolment_refused") == []


def test_decisions_need_the_decide_permission(pending):
    client = login(staff_without("decide_enrolment"))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "validate_selected" not in page_text(response)
    action(client, "validate_selected", [pending])
    page = page_text(client.get(f"{CHANGELIST}{pending.pk}/change/"))
    for name in ("validate", "refuse"):
        url = reverse(f"admin:inscriptions_enrolment_{name}", args=[pending.pk])
        assert url not in page
        assert client.post(url, {"comment": "Non"}).status_code == 403
    pending.refresh_from_db()
    assert pending.state == Enrolment.State.REQUESTED


def test_decide_from_the_enrolment_page(staff_client, guardian, passerelle, pending):
    second = request(guardian, passerelle, first_name="Tom")
    html = page_text(staff_client.get(f"{CHANGELIST}{pending.pk}/change/"))
    validate_url = reverse("admin:inscriptions_enrolment_validate", args=[pending.pk])
    refuse_url = reverse("admin:inscriptions_enrolment_refuse", args=[pending.pk])
    assert f'action="{validate_url}"' in html and f'action="{refuse_url}"' in html

    assert staff_client.get(validate_url).status_code == 302  # a GET decides nothing
    pending.refresh_from_db()
    assert pending.state == Enrolment.State.REQUESTED

    response = staff_client.post(validate_url, follow=True)
    assert "Inscription validée ; la famille est prévenue par e-mail." in (
        flash_messages(response))
    response = staff_client.post(
        reverse("admin:inscriptions_enrolment_refuse", args=[second.pk]),
        {"comment": "Réservé aux collégiens."}, follow=True)
    assert "Demande refusée ; la famille reçoit votre motif par e-mail." in (
        flash_messages(response))
    states = dict(Enrolment.objects.values_list("pk", "state"))
    assert states == {pending.pk: "validated", second.pk: "refused"}
    assert [m.template for m in OutboxMessage.objects.order_by("pk")][-2:] == [
        "enrolment_validated", "enrolment_refused"]


def test_staff_cannot_create_delete_or_rewrite_an_enrolment(staff_client, year, passerelle,
                                                            pending):
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    assert staff_client.get(f"{CHANGELIST}{pending.pk}/delete/").status_code == 403
    other_activity = ActivityFactory(school_year=year)
    other_child = ChildFactory()
    foreign_site = SiteFactory(name="Ailleurs")
    url = f"{CHANGELIST}{pending.pk}/change/"

    # A request can move to another site of its activity; child, activity, state stay.
    new_site = passerelle.sites.exclude(pk=pending.site_id).get()
    response = staff_client.post(url, {
        "site": new_site.pk, "child": other_child.pk, "activity": other_activity.pk,
        "state": "validated"}, follow=True)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert (pending.site, pending.child.first_name, pending.activity, pending.state) == (
        new_site, "Lou", passerelle, Enrolment.State.REQUESTED)

    # …but not to a site where the activity does not run.
    response = staff_client.post(url, {"site": foreign_site.pk})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    pending.refresh_from_db()
    assert pending.site == new_site

    # Once decided, the enrolment is read-only.
    action(staff_client, "validate_selected", [pending])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in page_text(response)
    staff_client.post(url, {"site": passerelle.sites.exclude(pk=new_site.pk).get().pk})
    pending.refresh_from_db()
    assert pending.site == new_site


# The catalogue --------------------------------------------------------------------------

def test_staff_create_an_activity_with_checkboxes_and_units(staff_client, year):
    tilleuls, port = SiteFactory(name="École des Tilleuls"), SiteFactory(name="École du Port")
    html = page_text(staff_client.get(f"{ACTIVITIES}add/"))
    for label in ("lundi", "vendredi", "Carnet de vaccination", "Certificat médical"):
        assert label in html
    assert 'type="checkbox" name="weekdays" value="4"' in html

    response = staff_client.post(f"{ACTIVITIES}add/", {
        "school_year": year.pk, "kind": "canteen", "name": "Restauration scolaire",
        "sites": [tilleuls.pk, port.pk], "days": "", "weekdays": ["4", "0", "1", "3"],
        "required_document_kinds": ["vaccination", "pai"], "validation": "automatic",
        "enrolment_open": "on", "needs_reservation": "on", "allows_subscription": "on",
        "units-TOTAL_FORMS": "1", "units-INITIAL_FORMS": "0", "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000", "units-0-label": "Repas", "units-0-with_meal": "on",
        "units-0-position": "0",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    activity = Activity.objects.get(name="Restauration scolaire")
    assert activity.weekdays == [0, 1, 3, 4]
    assert activity.days == Activity.Days.SCHOOL_DAYS  # the canteen's usual calendar
    assert activity.required_document_kinds == [Document.Kind.VACCINATION, Document.Kind.PAI]
    assert set(activity.sites.all()) == {tilleuls, port}
    assert [(u.label, u.with_meal) for u in activity.units.all()] == [("Repas", True)]

    # What was saved comes back checked.
    html = page_text(staff_client.get(f"{ACTIVITIES}{activity.pk}/change/"))
    assert 'name="weekdays" value="3" id="id_weekdays_3" checked' in html
    assert 'name="required_document_kinds" value="pai"' in html

    # The list shows it with its filters.
    response = staff_client.get(f"{ACTIVITIES}?kind__exact=canteen")
    assert [a.name for a in response.context["cl"].result_list] == ["Restauration scolaire"]


def test_school_day_activity_needs_weekdays(staff_client, year):
    site = SiteFactory(name="École des Tilleuls")
    response = staff_client.post(f"{ACTIVITIES}add/", {
        "school_year": year.pk, "kind": "care", "name": "Accueil périscolaire",
        "sites": [site.pk], "days": "school_days", "validation": "automatic",
        "units-TOTAL_FORMS": "0", "units-INITIAL_FORMS": "0", "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 200
    assert "Choisissez au moins un jour d'école." in page_text(response)
    assert not Activity.objects.exists()


def test_activity_list_counts_validated_enrolments(staff_client, guardian, passerelle, pending):
    request(guardian, passerelle, first_name="Tom")
    action(staff_client, "validate_selected", [pending])
    response = staff_client.get(ACTIVITIES)
    query = f"?activity__id__exact={passerelle.pk}&state__exact=validated"
    assert f'{CHANGELIST}{query}">1</a>' in page_text(response)
    assert listed(staff_client, query) == [str(pending)]  # where the count leads


def test_staff_group_reaches_the_catalogue_and_subscriptions(staff_client):
    for model in ("site", "activity", "enrolment"):
        assert staff_client.get(f"/gestion/inscriptions/{model}/").status_code == 200
    assert staff_client.get("/gestion/inscriptions/site/add/").status_code == 200
    assert staff_client.get("/gestion/reservations/mealsubscription/").status_code == 200
    assert staff_client.get("/gestion/reservations/mealsubscription/add/").status_code == 403
