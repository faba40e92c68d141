"""Enrolling a child from « Créer une inscription », through HTTP: automatic or staff
validation, the site, withdrawal with its confirmation page, double requests, ownership."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ground.models import OutboxMessage
from inscriptions.models import AnnualFile, Enrolment
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
    SiteFactory,
)
from tests.scenarios.families import ChildFactory, GuardianFactory

pytestmark = pytest.mark.django_db

HOME = "inscriptions:home"


@pytest.fixture
def year():
    # Next school year, whatever other tests created before (the factory counts up).
    return SchoolYearFactory(start_year=timezone.localdate().year + 1)


@pytest.fixture
def child(family, year):
    child = ChildFactory(family=family, first_name="Léa",
                         birth_date=datetime.date(year.start_date.year - 8, 3, 14))
    AnnualFileFactory(child=child, school_year=year, validated=True)
    return child


def request_url(activity):
    return reverse("inscriptions:enrolment_request", args=[activity.pk])


def withdraw_url(enrolment):
    return reverse("inscriptions:enrolment_withdraw", args=[enrolment.pk])


def block(page: str, year, child, activity) -> str:
    start = page.index(f'id="activity-{year.pk}-{child.pk}-{activity.pk}"')
    end = page.find('<li class="activity', start)
    return page[start:end if end != -1 else None]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_automatic_validation(parent_client, guardian, child, year):
    activity = ActivityFactory(school_year=year, name="Mercredis loisirs")
    response = parent_client.post(request_url(activity), {"child": child.pk}, follow=True)
    enrolment = Enrolment.objects.get(child=child, activity=activity)
    assert enrolment.state == Enrolment.State.VALIDATED
    assert enrolment.site == activity.sites.get()
    assert any("l'inscription est validée" in m for m in messages_of(response))
    part = block(response.content.decode(), year, child, activity)
    assert "inscription validée" in part
    assert ">Retirer l'inscription<" in part
    assert "Demander l'inscription" not in part
    mail = OutboxMessage.objects.get()
    assert mail.template == "enrolment_validated"
    assert mail.to == [guardian.user.email]
    assert "Mercredis loisirs" in mail.subject


def test_staff_validation_leaves_the_request_waiting(parent_client, child, year):
    activity = ActivityFactory(school_year=year, staff_validated=True)
    response = parent_client.post(request_url(activity), {"child": child.pk}, follow=True)
    assert Enrolment.objects.get(child=child, activity=activity).state == (
        Enrolment.State.REQUESTED)
    part = block(response.content.decode(), year, child, activity)
    assert "en attente de validation par le service" in part
    assert [m.template for m in OutboxMessage.objects.all()] == ["enrolment_requested"]


def test_refused_request_shows_the_reason_and_can_be_asked_again(parent_client, child, year):
    activity = ActivityFactory(school_year=year, staff_validated=True)
    EnrolmentFactory(child=child, activity=activity, state="refused",
                     staff_comment="Groupe complet le mercredi.")
    part = block(parent_client.get(reverse(HOME)).content.decode(), year, child, activity)
    assert "demande refusée" in part and "Groupe complet le mercredi." in part
    assert "Demander l'inscription" in part


def test_several_sites_need_a_choice(parent_client, child, year):
    north, south = SiteFactory(name="École du Nord"), SiteFactory(name="École du Sud")
    activity = ActivityFactory(school_year=year, sites=[north, south])
    part = block(parent_client.get(reverse(HOME)).content.decode(), year, child, activity)
    assert 'name="site"' in part and "École du Nord" in part and "École du Sud" in part

    response = parent_client.post(request_url(activity), {"child": child.pk}, follow=True)
    assert "Choisissez le lieu d'accueil." in messages_of(response)
    elsewhere = SiteFactory(name="Autre commune")
    parent_client.post(request_url(activity), {"child": child.pk, "site": elsewhere.pk})
    assert not Enrolment.objects.exists()

    parent_client.post(request_url(activity), {"child": child.pk, "site": south.pk})
    assert Enrolment.objects.get().site == south


def test_a_second_request_is_refused(parent_client, child, year):
    activity = ActivityFactory(school_year=year)
    parent_client.post(request_url(activity), {"child": child.pk})
    response = parent_client.post(request_url(activity), {"child": child.pk}, follow=True)
    assert "Léa est déjà inscrite à cette activité." in messages_of(response)
    assert Enrolment.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_forged_request_for_an_ineligible_child_is_refused(parent_client, child, year):
    activity = ActivityFactory(school_year=year, min_age=15)
    response = parent_client.post(request_url(activity), {"child": child.pk}, follow=True)
    assert any("Réservé aux enfants" in m for m in messages_of(response))
    assert not Enrolment.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_without_a_validated_file_the_parent_is_sent_to_the_file(parent_client, family, year):
    child = ChildFactory(family=family, first_name="Hugo")
    AnnualFileFactory(child=child, school_year=year, submitted=True)
    activity = ActivityFactory(school_year=year)
    response = parent_client.post(request_url(activity), {"child": child.pk})
    assert response.url == reverse("inscriptions:annual_file", args=[child.pk, year.pk])
    page = parent_client.get(response.url)
    assert any("en cours de traitement" in m for m in messages_of(page))
    assert not Enrolment.objects.exists()


def test_withdraw_asks_for_confirmation_then_withdraws(parent_client, guardian, child, year):
    activity = ActivityFactory(school_year=year, name="Mercredis loisirs")
    enrolment = EnrolmentFactory(child=child, activity=activity)
    home = parent_client.get(reverse(HOME)).content.decode()
    assert f'href="{withdraw_url(enrolment)}"' in block(home, year, child, activity)

    confirm = parent_client.get(withdraw_url(enrolment))
    assert confirm.status_code == 200
    assert "Voulez-vous vraiment retirer l'inscription de Léa" in confirm.content.decode()
    assert 'method="post"' in confirm.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.state == Enrolment.State.VALIDATED  # a GET changes nothing

    response = parent_client.post(withdraw_url(enrolment), follow=True)
    enrolment.refresh_from_db()
    assert enrolment.state == Enrolment.State.WITHDRAWN
    assert any("est retirée" in m for m in messages_of(response))
    part = block(response.content.decode(), year, child, activity)
    assert "Demander l'inscription" in part  # the child may be enrolled again
    mail = OutboxMessage.objects.get()
    assert mail.template == "enrolment_withdrawn" and mail.to == [guardian.user.email]


def test_withdrawing_twice_changes_nothing_more(parent_client, child, year):
    enrolment = EnrolmentFactory(child=child, activity=ActivityFactory(school_year=year))
    parent_client.post(withdraw_url(enrolment))
    response = parent_client.post(withdraw_url(enrolment), follow=True)
    assert "Cette inscription n'est plus en cours." in messages_of(response)
    assert OutboxMessage.objects.count() == 1


def test_another_familys_child_cannot_be_enrolled(parent_client, other_guardian, year):
    stranger = ChildFactory(family=other_guardian.family, first_name="Paul")
    AnnualFileFactory(child=stranger, school_year=year, validated=True)
    activity = ActivityFactory(school_year=year)
    response = parent_client.post(request_url(activity), {"child": stranger.pk}, follow=True)
    assert "Cet enfant n'appartient pas à votre famille." in messages_of(response)
    assert not Enrolment.objects.exists()
    assert "Paul" not in response.content.decode()


def test_another_familys_enrolment_cannot_be_withdrawn(parent_client, other_guardian, year):
    stranger = ChildFactory(family=other_guardian.family)
    enrolment = EnrolmentFactory(child=stranger, activity=ActivityFactory(school_year=year))
    assert parent_client.get(withdraw_url(enrolment)).status_code == 404
    assert parent_client.post(withdraw_url(enrolment)).status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.state == Enrolment.State.VALIDATED
    assert not OutboxMessage.objects.exists()


def test_shared_custody_child_is_enrolled_by_either_household(client, other_guardian, year):
    second = GuardianFactory()
    child = ChildFactory(family=other_guardian.family, second_family=second.family,
                         first_name="Inès")
    AnnualFileFactory(child=child, school_year=year, validated=True)
    activity = ActivityFactory(school_year=year)
    client.force_login(second.user)
    client.post(request_url(activity), {"child": child.pk})
    assert Enrolment.objects.get().child == child
    # both households are told, each in its own message
    assert sorted(m.to for m in OutboxMessage.objects.all()) == sorted(
        [[second.user.email], [other_guardian.user.email]])


@pytest.mark.parametrize("which", ["ended", "not_open"])
def test_activities_of_years_not_open_cannot_be_requested(parent_client, family, year, which):
    if which == "ended":
        other = SchoolYearFactory(start_year=timezone.localdate().year - 3)
    else:
        other = SchoolYearFactory(start_year=year.start_date.year + 1,
                              reregistration_opens_at=year.reregistration_opens_at
                                  + datetime.timedelta(days=400))
    child = ChildFactory(family=family)
    AnnualFile.objects.create(child=child, school_year=other, state="validated",
                              submitted_at=year.reregistration_opens_at)
    activity = ActivityFactory(school_year=other)
    assert parent_client.post(request_url(activity), {"child": child.pk}).status_code == 404
    assert not Enrolment.objects.exists()


def test_anonymous_visitor_is_sent_to_login(client, year):
    activity = ActivityFactory(school_year=year)
    response = client.post(request_url(activity), {"child": 1})
    assert response.status_code == 302 and "login" in response.url
    assert not Enrolment.objects.exists()
