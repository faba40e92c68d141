"""A month is billed once it has ended, its draft says what is not settled yet, and « Émettre »
asks for confirmation with the counts (issue 23, item 2)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from facturation.models import BillingRule, BillingRun, Invoice, euros
from facturation.services.billing import (
    correct_family_month,
    issue_run,
    prepare_month,
    prepare_run,
)
from facturation.tasks import prepare_previous_month
from ground.models import OutboxMessage
from reservations.models import AbsenceJustification
from tests.helpers import flash_messages, visible_text
from tests.scenarios.accounts import StaffFactory, UserFactory, login
from tests.scenarios.attestations import present
from tests.scenarios.billing import TARIFF, priced_activity, weekdays_of
from tests.scenarios.reservations import ReservationFactory, SlotFactory, ready_child

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
PREPARE = reverse("admin:facturation_billingrun_prepare")
TOP_PRICE = TARIFF[-1][1]  # families without a quotient pay the top bracket


def at(day: datetime.date, hour=10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)


def october(activity) -> datetime.date:
    return datetime.date(activity.school_year.start_date.year, 10, 1)


def book_wednesdays(activity, count=2, bookers=2):
    """`bookers` children, each booked on the month's first `count` Wednesdays."""
    slots = [SlotFactory(activity=activity, date=day)
             for day in weekdays_of(october(activity), 2)[:count]]
    children = [ready_child(activity) for _n in range(bookers)]
    reservations = [ReservationFactory(slot=slot, child=booker.child)
                    for booker in children for slot in slots]
    return slots, children, reservations


# The month must have ended --------------------------------------------------------------

def test_a_month_in_progress_is_refused_with_the_day_it_can_be_billed():
    activity = priced_activity()
    book_wednesdays(activity)
    month = october(activity)
    with time_machine.travel(at(month.replace(day=20)), tick=False):
        response = login(StaffFactory()).post(PREPARE, {"month": f"{month:%Y-%m}"})
    assert response.status_code == 400
    text = visible_text(response)
    assert f"Ce mois (octobre {month.year}) n'est pas terminé" in text
    assert f"à partir du 1er novembre {month.year}" in text
    assert not BillingRun.objects.exists()


def test_the_last_day_of_the_month_is_still_in_progress_the_next_day_is_not():
    activity = priced_activity()
    book_wednesdays(activity)
    month = october(activity)
    with pytest.raises(ValidationError, match="n'est pas terminé"):
        prepare_month(month, now=at(month.replace(day=31), hour=23))
    run = prepare_month(month, now=at(datetime.date(month.year, 11, 1), hour=0))
    assert run.invoices.count() == 2


def test_an_activity_billed_in_advance_alone_is_drafted_during_its_month():
    ahead, after = priced_activity(name="Séjour"), priced_activity(name="Mercredis")
    BillingRule.objects.create(activity=ahead, bill_in_advance=True)
    BillingRule.objects.create(activity=after)
    for activity in (ahead, after):
        book_wednesdays(activity, count=2, bookers=1)
    month = october(ahead)

    run = prepare_month(month, now=at(month.replace(day=3)))

    lines = [line for invoice in run.invoices.all() for line in invoice.lines.all()]
    assert {line.activity.name for line in lines} == {"Séjour"}
    assert sum(line.quantity for line in lines) == 2


def test_a_correction_during_the_month_bills_only_what_is_billed_in_advance():
    """A correction of a month in progress (an absence accepted after the advance invoice)
    must not bill the month's other activities before it ends."""
    ahead, after = priced_activity(name="Séjour"), priced_activity(name="Mercredis")
    BillingRule.objects.create(activity=ahead, bill_in_advance=True)
    BillingRule.objects.create(activity=after)
    month = october(ahead)
    camper = ready_child(ahead)
    sibling = ready_child(after, camper.guardian)  # one family, a child in each activity
    reservations = {
        activity.name: [ReservationFactory(slot=SlotFactory(activity=activity, date=day),
                                           child=booker.child)
                        for day in weekdays_of(month, 2)[:2]]
        for activity, booker in ((ahead, camper), (after, sibling))}
    staff = StaffFactory()
    run = issue_run(prepare_month(month, now=at(month.replace(day=3))).pk, staff,
                    now=at(month.replace(day=3)))
    [invoice] = run.invoices.all()
    second = reservations["Séjour"][1]
    second.state = second.State.CANCELLED
    second.save(update_fields=["state"])

    credit = correct_family_month(invoice.family_id, month, staff, "Séjour annulé",
                                  now=at(month.replace(day=4)))

    assert credit is not None and credit.amount_cents == 2 * TOP_PRICE
    corrective = Invoice.objects.get(corrects=invoice)
    lines = list(corrective.lines.all())
    assert {line.activity.name for line in lines} == {"Séjour"}
    assert sum(line.quantity for line in lines) == 1


def test_the_engine_called_directly_during_the_month_drafts_only_advance_billing():
    ahead, after = priced_activity(name="Séjour"), priced_activity(name="Mercredis")
    BillingRule.objects.create(activity=ahead, bill_in_advance=True)
    for activity in (ahead, after):
        book_wednesdays(activity, count=2, bookers=1)
    month = october(ahead)

    run = prepare_run(month, now=at(month.replace(day=3)))

    lines = [line for invoice in run.invoices.all() for line in invoice.lines.all()]
    assert {line.activity.name for line in lines} == {"Séjour"}


def test_the_rule_is_named_in_the_admin_of_billing_rules():
    activity = priced_activity()
    rule = BillingRule.objects.create(activity=activity)
    page = login(StaffFactory()).get(reverse("admin:facturation_billingrule_change",
                                             args=[rule.pk]))
    assert "facturation à l'avance" in visible_text(page).lower()


def test_beat_on_the_first_drafts_the_month_just_ended():
    activity = priced_activity()
    book_wednesdays(activity)
    month = october(activity)
    run_id = prepare_previous_month(now=at(datetime.date(month.year, 11, 1), hour=6))
    assert BillingRun.objects.get(pk=run_id).month == month


# The draft lists what is not settled ----------------------------------------------------

def test_the_draft_lists_pending_justifications_and_registers_not_taken():
    activity = priced_activity()
    slots, children, reservations = book_wednesdays(activity)
    first_child = children[0].child
    # The first Wednesday's register is taken; the second is not.
    for booker in children:
        present(booker.child, slots[0].unit, slots[0].date)
    pending = AbsenceJustification.objects.create(
        reservation=reservations[1], reason="illness", submitted_by=UserFactory())
    month = october(activity)
    with time_machine.travel(at(datetime.date(month.year, 11, 3)), tick=False):
        run = prepare_run(month)
        page = login(StaffFactory()).get(reverse("admin:facturation_billingrun_change",
                                                 args=[run.pk]))
    text = visible_text(page)
    assert "1 justification d'absence à décider" in text
    assert f"{first_child.first_name} {first_child.last_name}" in text
    assert reverse("admin:reservations_absencejustification_change",
                   args=[pending.pk]) in page.content.decode()
    assert "1 registre non pointé" in text
    assert "2 enfants réservés" in text


def test_a_draft_made_during_the_month_lists_no_register_for_days_ahead():
    ahead = priced_activity(name="Séjour")
    BillingRule.objects.create(activity=ahead, bill_in_advance=True)
    book_wednesdays(ahead, count=2, bookers=1)
    month = october(ahead)
    with time_machine.travel(at(month.replace(day=1)), tick=False):
        run = prepare_month(month)
        page = login(StaffFactory()).get(reverse("admin:facturation_billingrun_change",
                                                 args=[run.pk]))
    assert "chaque journée réservée du mois a son registre" in visible_text(page)


# « Émettre » asks for confirmation --------------------------------------------------------

@pytest.fixture
def draft():
    activity = priced_activity()
    book_wednesdays(activity, count=3, bookers=2)
    month = october(activity)
    moment = at(datetime.date(month.year, 11, 3))
    with time_machine.travel(moment, tick=False):
        run = prepare_run(month)
    return run, moment


def issue_url(run) -> str:
    return reverse("admin:facturation_billingrun_issue", args=[run.pk])


def test_emettre_shows_the_counts_and_issues_nothing(draft):
    run, moment = draft
    with time_machine.travel(moment, tick=False):
        client = login(StaffFactory())
        change = client.get(reverse("admin:facturation_billingrun_change", args=[run.pk]))
        assert issue_url(run) in change.content.decode()
        page = client.get(issue_url(run))
    assert page.status_code == 200
    text = visible_text(page)
    assert "2 factures" in text and "2 familles" in text
    assert f"Total : {euros(6 * TOP_PRICE)}" in text
    assert 'value="Confirmer et émettre"' in page.content.decode()
    assert not Invoice.objects.filter(state=Invoice.State.ISSUED).exists()


def test_a_post_without_the_confirmed_counts_issues_nothing(draft):
    run, moment = draft
    with time_machine.travel(moment, tick=False):
        response = login(StaffFactory()).post(issue_url(run))
    assert response.status_code == 400
    assert "Rien n'est émis sans confirmation" in visible_text(response)
    run.refresh_from_db()
    assert run.state == BillingRun.State.DRAFT
    assert not OutboxMessage.objects.filter(template="invoice_issued").exists()


def test_a_draft_changed_since_the_confirmation_is_not_issued(draft):
    run, moment = draft
    with time_machine.travel(moment, tick=False):
        response = login(StaffFactory()).post(issue_url(run), {
            "invoices": 2, "families": 2, "total_cents": 5 * TOP_PRICE}, follow=True)
    assert "Le brouillon a changé depuis votre confirmation" in " ".join(
        flash_messages(response))
    run.refresh_from_db()
    assert run.state == BillingRun.State.DRAFT


def test_the_confirmed_counts_issue_the_run(draft):
    run, moment = draft
    with time_machine.travel(moment, tick=False):
        response = login(StaffFactory()).post(issue_url(run), {
            "invoices": 2, "families": 2, "total_cents": 6 * TOP_PRICE}, follow=True)
    assert "2 factures émises" in " ".join(flash_messages(response))
    run.refresh_from_db()
    assert run.state == BillingRun.State.ISSUED
    assert OutboxMessage.objects.filter(template="invoice_issued").count() == 2


def test_a_register_taken_after_the_draft_says_it_is_stale(draft):
    run, moment = draft
    slot = run.invoices.first().lines.first()
    with time_machine.travel(moment + datetime.timedelta(hours=1), tick=False):
        present(slot.child, slot.unit, datetime.date.fromisoformat(slot.dates[0]))
        client = login(StaffFactory())
        change = visible_text(client.get(reverse("admin:facturation_billingrun_change",
                                                 args=[run.pk])))
        confirm = visible_text(client.get(issue_url(run)))
    for text in (change, confirm):
        assert ("Depuis la préparation de ce brouillon, 1 justification ou pointage du mois a "
                "été enregistré : préparez-le à nouveau") in text
