"""Allocation for staff through the admin (/gestion/): a period put in allocation mode gets
its draw committed; an agent runs a draft, reads it per slot with class and draw number,
publishes it after a confirmation with its counts, reads the statistics and exports them.
Running and publishing are permissions of their own."""

import csv
import datetime
import io
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from reservations import allocation_queries, draw
from reservations.models import (
    Allocation,
    AllocationEntry,
    AllocationRule,
    BookingPeriod,
    Reservation,
    Slot,
)
from tests.helpers import flash_messages, page_text
from tests.scenarios.accounts import StaffFactory, login, staff_without
from tests.scenarios.allocation import allocation_activity, household, wish
from tests.scenarios.enrolments import ActivityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """The tasks a request queues at its commit, run (execute=True) or left waiting."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def wished():
    allocated = allocation_activity(days=2, capacity=1)
    for booker in household(allocated.activity, children=2) + household(allocated.activity):
        wish(booker, allocated.slots, allocated.during)
    return allocated


def _url(name, *args):
    return reverse(f"admin:reservations_allocation_{name}", args=args)


def _add_period(client, window=True, **more):
    """The period form posted for a new Wednesday period in allocation mode; its wishes
    open tomorrow at 8:00 for a week (`window`), first come opens in 12 days."""
    activity = ActivityFactory()
    now = timezone.now()
    data = {"activity": activity.pk, "label": "Mercredis", "mode": "allocation",
            "first_day": activity.school_year.start_date,
            "last_day": activity.school_year.end_date, "decline_days": 7,
            "opens_at_0": f"{now + datetime.timedelta(days=12):%d/%m/%Y}", "opens_at_1": "08:00"}
    if window:
        data.update({
            "wishes_open_at_0": f"{now + datetime.timedelta(days=1):%d/%m/%Y}",
            "wishes_open_at_1": "08:00",
            "wishes_close_at_0": f"{now + datetime.timedelta(days=8):%d/%m/%Y}",
            "wishes_close_at_1": "18:00"})
    return client.post("/gestion/reservations/bookingperiod/add/", {**data, **more},
                       follow=True)


def test_saving_a_period_in_allocation_mode_commits_its_draw(staff_client):
    response = _add_period(staff_client)
    assert response.status_code == 200, page_text(response)
    period = BookingPeriod.objects.get(label="Mercredis")
    assert period.draw_commitment == draw.commitment(period.draw_secret)
    page = page_text(staff_client.get(_url("period", period.pk)))
    assert period.draw_commitment in page and period.draw_secret not in page


def test_the_form_refuses_an_allocation_period_without_its_window(staff_client):
    response = _add_period(staff_client, window=False)
    assert "Une période attribuée par vœux a une fenêtre de vœux." in page_text(response)
    assert not BookingPeriod.objects.exists()


def test_first_come_cannot_open_before_the_wishes_close(staff_client):
    response = _add_period(staff_client, opens_at_0=f"{timezone.now():%d/%m/%Y}")
    assert "Les places restantes ouvrent après la clôture des vœux" in page_text(response)
    assert not BookingPeriod.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_agent_runs_reads_and_publishes_an_allocation(wished):
    """Committed for real: the demo's inline worker (or a small period's quick one) has done
    the job when the agent's request returns, so he lands on its result."""
    client = login(StaffFactory())
    with time_machine.travel(wished.after, tick=False):
        response = client.post(_url("run", wished.period.pk), follow=True)
        allocation = Allocation.objects.get()
        assert response.redirect_chain[-1][0] == _url("draft", allocation.pk)
        page = page_text(response)
        for entry in AllocationEntry.objects.filter(allocation=allocation).select_related(
                "child"):
            assert str(entry.child) in page
        assert "N° de tirage" in page
        confirm = client.get(_url("publish", allocation.pk))
        granted = AllocationEntry.objects.filter(allocation=allocation,
                                                 outcome="granted").count()
        assert f"{granted} jour(s) attribué(s) sur 6 demandé(s), pour 2 famille(s)" in (
            page_text(confirm))
        assert not Reservation.objects.exists()  # the confirmation changes nothing
        done = client.post(_url("publish", allocation.pk), follow=True)
    assert "Attribution publiée" in " ".join(flash_messages(done))
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.PUBLISHED
    assert Reservation.objects.filter(state="confirmed").count() == granted
    assert allocation.seed in page_text(done)
    # The frozen data, published, reproduce the result
    frozen = json.loads(client.get(_url("inputs", allocation.pk)).content)
    assert draw.reproduce(frozen, allocation.seed)[1] == allocation.result_digest


def test_statistics_export_demand_fill_and_share_per_class(wished, worker):
    with time_machine.travel(wished.after, tick=False), worker(execute=True):
        client = login(StaffFactory())
        client.post(_url("run", wished.period.pk))
    allocation = Allocation.objects.get()
    response = client.get(_url("statistics", allocation.pk) + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    days = [r for r in rows[1:] if r and r[0][:2] == "20"]
    assert len(days) == len(wished.slots)
    assert all(int(r[4]) == 3 and int(r[5]) <= int(r[3]) for r in days)  # 3 children asked
    header = rows.index(["Classe", "Enfants", "Jours demandés", "Jours attribués",
                         "Part attribuée (%)"])
    classes = rows[header + 1:]
    assert sum(int(r[2]) for r in classes) == 6
    assert sum(int(r[3]) for r in classes) == sum(int(r[5]) for r in days)


def test_running_and_publishing_need_their_own_permissions(wished, worker):
    reader = login(staff_without("run_allocation", "publish_allocation"))
    with time_machine.travel(wished.after, tick=False):
        assert reader.post(_url("run", wished.period.pk)).status_code == 403
        assert not Allocation.objects.exists()
        assert reader.get(_url("period", wished.period.pk)).status_code == 200
        runner = login(staff_without("publish_allocation"))
        with worker(execute=True):
            runner.post(_url("run", wished.period.pk))
        allocation = Allocation.objects.get()
        assert runner.get(_url("draft", allocation.pk)).status_code == 200
        assert runner.post(_url("publish", allocation.pk)).status_code == 403
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.DRAFT
    assert not Reservation.objects.exists()


def test_a_run_before_the_close_is_refused_with_the_reason(wished):
    client = login(StaffFactory())
    with time_machine.travel(wished.during, tick=False):
        response = client.post(_url("run", wished.period.pk), follow=True)
    assert any("l'attribution se lance après" in m for m in flash_messages(response))
    assert not Allocation.objects.exists()


def test_no_admin_lookup_reads_the_draws_secret_before_publication(staff_client, wished):
    secret = wished.period.draw_secret
    for url in ("/gestion/reservations/bookingperiod/", "/gestion/reservations/wish/",
                "/gestion/reservations/allocation/"):
        lookup = "draw_secret" if "bookingperiod" in url else "period__draw_secret"
        response = staff_client.get(f"{url}?{lookup}__startswith={secret[:1]}")
        assert response.status_code == 400, url  # Django's refused lookup, whatever the value
    page = page_text(staff_client.get(
        f"/gestion/reservations/bookingperiod/{wished.period.pk}/change/"))
    assert secret not in page and wished.period.draw_commitment in page
    history = page_text(staff_client.get(
        f"/gestion/reservations/bookingperiod/{wished.period.pk}/history/"))
    assert secret not in history


def test_staff_reorder_the_communes_rules_in_one_save_of_the_list(staff_client):
    rules = list(AllocationRule.objects.order_by("position", "kind"))
    swapped = {rules[0].pk: rules[1].position, rules[1].pk: rules[0].position}
    data = {"form-TOTAL_FORMS": len(rules), "form-INITIAL_FORMS": len(rules), "_save": "1"}
    for n, rule in enumerate(rules):
        data.update({f"form-{n}-id": rule.pk,
                     f"form-{n}-position": swapped.get(rule.pk, rule.position),
                     f"form-{n}-explanation": rule.explanation})
        if rule.enabled:
            data[f"form-{n}-enabled"] = "on"
    response = staff_client.post("/gestion/reservations/allocationrule/", data, follow=True)
    assert response.status_code == 200
    assert [r.kind for r in allocation_queries.rules()][:2] == [rules[1].kind, rules[0].kind]


def test_a_run_is_done_by_the_worker_the_page_says_so_meanwhile(wished, worker):
    """A town's run takes longer than a request may: the agent's click queues it; until the
    worker has done it the period's page says what is being done and refuses a second run;
    then the draft is there."""
    client = login(StaffFactory())
    with time_machine.travel(wished.after, tick=False):
        with worker() as queued:
            response = client.post(_url("run", wished.period.pk), follow=True)
        assert response.redirect_chain[-1][0] == _url("period", wished.period.pk)
        assert "en arrière-plan" in " ".join(flash_messages(response))
        page = page_text(client.get(_url("period", wished.period.pk)))
        assert "En cours : calcul d'un brouillon" in page
        assert "Lancer l’attribution" not in page
        assert not Allocation.objects.exists()
        again = client.post(_url("run", wished.period.pk), follow=True)
        assert any("déjà en cours" in m for m in flash_messages(again))
        for task in queued:
            task()
        page = page_text(client.get(_url("period", wished.period.pk)))
    assert Allocation.objects.get().state == Allocation.State.DRAFT
    assert "En cours" not in page and "Relancer l’attribution" in page


def test_a_publication_the_worker_refuses_is_explained_on_the_page(wished, worker):
    """Staff changed a day's places between the confirmation and the worker's turn: nothing
    is published and the agent reads why on the period's page."""
    client = login(StaffFactory())
    with time_machine.travel(wished.after, tick=False):
        with worker(execute=True):
            client.post(_url("run", wished.period.pk))
        allocation = Allocation.objects.get()
        with worker() as queued:
            client.post(_url("publish", allocation.pk))
        Slot.objects.filter(pk__in=[s.pk for s in wished.slots]).update(capacity=0)
        with worker(execute=True):
            for task in queued:
                task()
        page = page_text(client.get(_url("period", wished.period.pk)))
    assert "Le dernier traitement demandé n'a pas abouti" in page
    assert "relancez l'attribution avant de publier" in page
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.DRAFT and not Reservation.objects.exists()


def test_a_job_the_worker_lost_no_longer_blocks_after_a_while(wished, worker):
    from reservations.services.allocation_jobs import STALE

    client = login(StaffFactory())
    with time_machine.travel(wished.after, tick=False), worker():
        client.post(_url("run", wished.period.pk))  # the worker never runs it (a restart)
    later = wished.after + STALE + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        with worker(execute=True):
            client.post(_url("run", wished.period.pk))
        page = page_text(client.get(_url("period", wished.period.pk)))
    assert Allocation.objects.get().state == Allocation.State.DRAFT
    assert "En cours" not in page
    assert not BookingPeriod.objects.get(pk=wished.period.pk).allocation_job
