"""The staff's invoicing in the admin (/gestion/): tariffs typed in euros, a month prepared
as a draft then issued (with the permission), the beat task that drafts the month just
ended, invoices that can be neither edited nor deleted, unpaid invoices by age, payments
recorded at the desk and each family's balance."""

import datetime
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from facturation.models import (
    BillingRun,
    CreditNote,
    Invoice,
    Payment,
    Tariff,
    euros,
)
from facturation.services.billing import prepare_run
from facturation.tasks import prepare_previous_month
from ground.models import OutboxMessage
from tests.helpers import flash_messages, page_text, visible_text
from tests.scenarios.accounts import StaffFactory, UserFactory, login, staff_without
from tests.scenarios.billing import TARIFF, InvoiceFactory, priced_activity, weekdays_of
from tests.scenarios.enrolments import ActivityFactory
from tests.scenarios.families import FamilyFactory, GuardianFactory
from tests.scenarios.reservations import (
    ReservationFactory,
    SlotFactory,
    bookable_activity,
    ready_child,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
PREPARE = reverse("admin:facturation_billingrun_prepare")
INVOICES = reverse("admin:facturation_invoice_changelist")
TOP_PRICE = TARIFF[-1][1]  # families without a quotient pay the top bracket (commune price)


def month_after(month: datetime.date, day=3, hour=10) -> datetime.datetime:
    following = (month + datetime.timedelta(days=32)).replace(day=day)
    return datetime.datetime.combine(following, datetime.time(hour), tzinfo=PARIS)


def run_url(run) -> str:
    return reverse("admin:facturation_billingrun_change", args=[run.pk])


def table_rows(response) -> list[str]:
    """The visible text of each body row of the page's tables."""
    body = "".join(re.findall(r"(?s)<tbody>(.*?)</tbody>", response.content.decode()))
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"(?s)<tr[^>]*>(.*?)</tr>", body)]


@pytest.fixture
def booked():
    """October of a Wednesday leisure centre with TARIFF: Anna booked two Wednesdays, Ben
    three."""
    activity = priced_activity()
    month = datetime.date(activity.school_year.start_date.year, 10, 1)
    slots = [SlotFactory(activity=activity, date=day) for day in weekdays_of(month, 2)[:3]]
    anna, ben = ready_child(activity), ready_child(activity)
    for slot in slots[:2]:
        ReservationFactory(slot=slot, child=anna.child)
    for slot in slots:
        ReservationFactory(slot=slot, child=ben.child)
    return SimpleNamespace(activity=activity, month=month, slots=slots, anna=anna, ben=ben)


# Tariffs --------------------------------------------------------------------------------------

def tariff_post(unit, brackets, **fields):
    data = {"unit": unit.pk, "valid_from": fields.get("valid_from", "01/09/2027"),
            "sibling_reduction_percent": fields.get("sibling_reduction_percent", "0"),
            "brackets-TOTAL_FORMS": str(len(brackets)), "brackets-INITIAL_FORMS": "0",
            "brackets-MIN_NUM_FORMS": "0", "brackets-MAX_NUM_FORMS": "1000"}
    for n, (qf_max, price, outside) in enumerate(brackets):
        data.update({f"brackets-{n}-qf_max": qf_max, f"brackets-{n}-price": price,
                     f"brackets-{n}-outside_price": outside})
    return data


def test_tariff_typed_in_euros_is_stored_in_exact_cents(staff_client):
    activity = ActivityFactory(name="ALSH des Goélands")
    unit = activity.units.get()
    response = staff_client.post(reverse("admin:facturation_tariff_add"), tariff_post(
        unit, [("600", "2,35", "4,10"), ("1200", "4,8", "7"), ("", "19,99", "1234,56")],
        sibling_reduction_percent="10"))
    assert response.status_code == 302, page_text(response)
    tariff = Tariff.objects.get(unit=unit)
    assert tariff.sibling_reduction_percent == 10
    assert [(b.qf_max, b.price_cents, b.outside_price_cents)
            for b in tariff.brackets.all()] == [(600, 235, 410), (1200, 480, 700),
                                                (None, 1999, 123456)]

    listing = page_text(staff_client.get(reverse("admin:facturation_tariff_changelist")
                                         + f"?unit__activity__id__exact={activity.pk}"))
    assert "ALSH des Goélands" in listing
    assert euros(235) in listing and euros(123456) in listing

    form = page_text(staff_client.get(reverse("admin:facturation_tariff_change",
                                              args=[tariff.pk])))
    assert 'value="2,35"' in form and 'value="1234,56"' in form


def test_tariff_needs_a_top_bracket_and_at_most_cents(staff_client):
    unit = ActivityFactory().units.get()
    url = reverse("admin:facturation_tariff_add")
    no_top = staff_client.post(url, tariff_post(unit, [("600", "2,00", "3,00"),
                                                       ("1200", "4,00", "5,00")]))
    assert no_top.status_code == 200
    assert "Ajoutez la tranche la plus haute" in page_text(no_top)
    fraction = staff_client.post(url, tariff_post(unit, [("", "2,355", "3,00")]))
    assert fraction.status_code == 200
    assert "2 chiffres après la virgule" in page_text(fraction)
    assert not Tariff.objects.exists()


# Preparing and issuing a month ----------------------------------------------------------------

def test_staff_prepare_a_month_and_check_the_draft(booked):
    with time_machine.travel(month_after(booked.month), tick=False):
        client = login(StaffFactory())
        page = client.get(PREPARE)
        assert page.status_code == 200
        assert f'value="{booked.month:%Y-%m}"' in page_text(page)  # the month just ended
        response = client.post(PREPARE, {"month": f"{booked.month:%Y-%m}"}, follow=True)

    run = BillingRun.objects.get()
    assert (run.month, run.state) == (booked.month, BillingRun.State.DRAFT)
    assert response.redirect_chain[-1][0] == run_url(run)
    assert "2 factures à vérifier" in " ".join(flash_messages(response))
    rows = table_rows(response)
    assert len(rows) == 2
    for booker, days in ((booked.anna, 2), (booked.ben, 3)):
        [row] = [r for r in rows if booker.family.name in r]
        assert f"{euros(days * TOP_PRICE)} – {1}" in row  # total, no correction, one line
    assert not OutboxMessage.objects.exists()  # a draft tells nobody

    ben_invoice = Invoice.objects.get(family=booked.ben.family)
    detail_url = reverse("admin:facturation_invoice_change", args=[ben_invoice.pk])
    assert detail_url in page_text(response)
    with time_machine.travel(month_after(booked.month), tick=False):
        detail = login(StaffFactory()).get(detail_url)
    text = visible_text(detail)
    assert "brouillon" in text
    for slot in booked.slots:
        assert f"{slot.date:%d/%m}" in text
    assert euros(TOP_PRICE) in text and euros(3 * TOP_PRICE) in text


def test_a_missing_tariff_is_named_and_nothing_is_drafted():
    activity = bookable_activity(name="Passerelle du mercredi")  # no tariff
    slot = SlotFactory(activity=activity)
    ReservationFactory(slot=slot, child=ready_child(activity).child)
    month = slot.date.replace(day=1)
    with time_machine.travel(month_after(month), tick=False):
        response = login(StaffFactory()).post(PREPARE, {"month": f"{month:%Y-%m}"})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Aucun tarif pour" in text
    assert "Passerelle du mercredi" in text and f"{slot.date:%d/%m/%Y}" in text
    assert not BillingRun.objects.exists()


def test_a_month_not_begun_cannot_be_prepared():
    today = timezone.localdate()
    following = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    response = login(StaffFactory()).post(PREPARE, {"month": f"{following:%Y-%m}"})
    assert response.status_code == 400
    assert "pas encore commencé" in visible_text(response)
    assert not BillingRun.objects.exists()


def test_preparing_needs_the_permission(booked):
    with time_machine.travel(month_after(booked.month), tick=False):
        client = login(staff_without("add_billingrun"))
        assert client.get(PREPARE).status_code == 403
        assert client.post(PREPARE, {"month": f"{booked.month:%Y-%m}"}).status_code == 403
    assert not BillingRun.objects.exists()


def test_issuing_needs_the_permission_then_numbers_and_tells_families(booked):
    moment = month_after(booked.month)
    with time_machine.travel(moment, tick=False):
        run = prepare_run(booked.month, StaffFactory())
        issue_url = reverse("admin:facturation_billingrun_issue", args=[run.pk])

        without = login(staff_without("issue_billingrun"))
        page = visible_text(without.get(run_url(run)))
        assert "ne permet pas d'émettre" in page
        assert issue_url not in page_text(without.get(run_url(run)))
        assert without.post(issue_url).status_code == 403
        run.refresh_from_db()
        assert run.state == BillingRun.State.DRAFT
        assert not Invoice.objects.filter(state=Invoice.State.ISSUED).exists()

        client = login(StaffFactory())
        assert issue_url in page_text(client.get(run_url(run)))
        # A GET issues nothing: it asks for confirmation (tests/facturation/test_billing_checks.py)
        assert client.get(issue_url).status_code == 200
        assert not Invoice.objects.filter(state=Invoice.State.ISSUED).exists()
        response = client.post(issue_url, {"invoices": 2, "families": 2,
                                           "total_cents": 5 * TOP_PRICE}, follow=True)

    assert "2 factures émises ; les familles sont prévenues par e-mail." in (
        flash_messages(response))
    run.refresh_from_db()
    assert run.state == BillingRun.State.ISSUED
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"{moment.year}-000001", f"{moment.year}-000002"]
    mails = OutboxMessage.objects.filter(template="invoice_issued")
    assert sorted(m.to[0] for m in mails) == sorted(
        [booked.anna.user.email, booked.ben.user.email])
    assert issue_url not in page_text(response)  # issued: no button any more

    again = login(StaffFactory())
    with time_machine.travel(moment, tick=False):
        again.force_login(StaffFactory())
        second = again.post(issue_url, follow=True)
    assert "déjà émise" in " ".join(flash_messages(second))
    assert Invoice.objects.count() == 2


def test_beat_drafts_the_month_just_ended_and_never_issues(booked):
    first_of_next = month_after(booked.month, day=1, hour=6)
    with time_machine.travel(first_of_next, tick=False):
        run_id = prepare_previous_month()
    run = BillingRun.objects.get(pk=run_id)
    assert (run.month, run.state, run.prepared_by) == (booked.month, BillingRun.State.DRAFT,
                                                       None)
    assert run.invoices.count() == 2
    assert not Invoice.objects.filter(state=Invoice.State.ISSUED).exists()
    assert not OutboxMessage.objects.exists()


def test_beat_without_tariff_drafts_nothing():
    activity = bookable_activity()
    slot = SlotFactory(activity=activity)
    ReservationFactory(slot=slot, child=ready_child(activity).child)
    with time_machine.travel(month_after(slot.date.replace(day=1), day=1, hour=6),
                             tick=False):
        assert prepare_previous_month() is None
    assert not BillingRun.objects.exists()


# Invoices: read-only, never deleted, by age ---------------------------------------------------

def test_an_issued_invoice_can_be_neither_edited_nor_deleted():
    invoice = InvoiceFactory(issued=True, total_cents=4250)
    change = reverse("admin:facturation_invoice_change", args=[invoice.pk])
    delete = reverse("admin:facturation_invoice_delete", args=[invoice.pk])
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for user in (StaffFactory(), superuser):
        client = login(user)
        page = client.get(change)
        assert page.status_code == 200
        assert invoice.number in visible_text(page)
        assert 'name="_save"' not in page_text(page)
        assert client.get(delete).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.post(change, {"total_cents": "1"}).status_code == 403
        listing = client.get(INVOICES)
        assert "delete_selected" not in page_text(listing)
        client.post(INVOICES, {"action": "delete_selected", "_selected_action": [invoice.pk],
                               "post": "yes"})
    invoice.refresh_from_db()
    assert (invoice.total_cents, invoice.state) == (4250, Invoice.State.ISSUED)
    assert reverse("admin:facturation_invoice_add") not in page_text(login(superuser).get(
        INVOICES))


def test_credit_notes_are_read_only(staff_client):
    invoice = InvoiceFactory(issued=True)
    note = CreditNote.objects.create(invoice=invoice, number="AV-2027-000001",
                                     amount_cents=invoice.total_cents, reason="Recalcul",
                                     issued_at=timezone.now())
    assert staff_client.get(reverse("admin:facturation_creditnote_change",
                                    args=[note.pk])).status_code == 200
    assert staff_client.get(reverse("admin:facturation_creditnote_delete",
                                    args=[note.pk])).status_code == 403
    assert staff_client.post(reverse("admin:facturation_creditnote_change", args=[note.pk]),
                             {"reason": "x"}).status_code == 403
    # On the invoice's page, the credit note cancels it: nothing left to pay.
    page = visible_text(staff_client.get(reverse("admin:facturation_invoice_change",
                                                 args=[invoice.pk])))
    assert "AV-2027-000001" in page and "annulée par un avoir" in page


def test_unpaid_invoices_by_age():
    now = datetime.datetime(2031, 3, 12, 10, tzinfo=PARIS)
    today = now.date()
    with time_machine.travel(now, tick=False):
        staff_client = login(StaffFactory())
        late = {days: InvoiceFactory(issued=True, due_date=today - datetime.timedelta(days))
                for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)}
        paid = InvoiceFactory(issued=True, due_date=today - datetime.timedelta(40))
        Payment.objects.create(invoice=paid, method=Payment.Method.CASH,
                               amount_cents=paid.total_cents, received_at=now)
        half = InvoiceFactory(issued=True, total_cents=5000,
                              due_date=today - datetime.timedelta(45))
        Payment.objects.create(invoice=half, method=Payment.Method.CHEQUE, amount_cents=2000,
                               received_at=now)
        refunded = InvoiceFactory(issued=True, due_date=today - datetime.timedelta(50))
        Payment.objects.create(invoice=refunded, method=Payment.Method.CARD,
                               amount_cents=refunded.total_cents, received_at=now,
                               flagged_for_refund=True, flag_reason="devise différente")
        InvoiceFactory(due_date=None)  # a draft is never late

        def listed(bucket):
            response = staff_client.get(INVOICES + f"?retard={bucket}")
            assert response.status_code == 200
            return {i.number for i in response.context["cl"].result_list}

        assert listed("1-30") == {late[1].number, late[30].number}
        # Half paid is still late; a payment to refund pays nothing; paid is not late.
        assert listed("31-60") == {late[31].number, late[60].number, half.number,
                                   refunded.number}
        assert listed("61-90") == {late[61].number, late[90].number}
        assert listed("plus-de-90") == {late[91].number, late[400].number}
        assert len(listed("toutes")) == 10

        page = staff_client.get(INVOICES + "?retard=31-60")
        [row] = [r for r in table_rows(page) if half.number in r]
        assert f"{euros(3000)}, en retard" in row


def test_invoices_searched_by_number_or_family(staff_client):
    mine = InvoiceFactory(issued=True, family=FamilyFactory(name="Famille Kerjean"))
    other = InvoiceFactory(issued=True)
    by_family = staff_client.get(INVOICES + "?q=kerjean").context["cl"].result_list
    by_number = staff_client.get(INVOICES + f"?q={other.number}").context["cl"].result_list
    assert [i.pk for i in by_family] == [mine.pk]
    assert [i.pk for i in by_number] == [other.pk]


# Payments and balances ------------------------------------------------------------------------

def test_staff_record_a_cheque_from_the_invoice_page(staff_client):
    invoice = InvoiceFactory(issued=True, total_cents=4250)
    guardian = GuardianFactory(family=invoice.family)
    page = page_text(staff_client.get(reverse("admin:facturation_invoice_change",
                                              args=[invoice.pk])))
    add_url = reverse("admin:facturation_payment_add") + f"?facture={invoice.number}"
    assert add_url in page
    form = staff_client.get(add_url)
    assert f'value="{invoice.number}"' in page_text(form)

    data = {"invoice_number": invoice.number, "method": "cheque", "amount": "10,50",
            "received_on": timezone.localdate().isoformat(), "reference": "CHQ 0012345"}
    response = staff_client.post(add_url, data, follow=True)
    assert (f"Paiement de 10,50 € enregistré sur la facture {invoice.number} ; il reste "
            f"{euros(4250 - 1050)} à payer.") in flash_messages(response)
    payment = Payment.objects.get()
    assert (payment.amount_cents, payment.method, payment.reference) == (1050, "cheque",
                                                                         "CHQ 0012345")
    assert payment.recorded_by.email == response.wsgi_request.user.email
    assert OutboxMessage.objects.filter(template="payment_received",
                                        to=[guardian.user.email]).exists()

    too_much = staff_client.post(add_url, {**data, "amount": "32,01"})
    assert too_much.status_code == 400
    assert "dépasse le reste à payer" in visible_text(too_much)
    unknown = staff_client.post(add_url, {**data, "invoice_number": "1999-000001"})
    assert unknown.status_code == 400
    assert "Aucune facture émise ne porte ce numéro." in visible_text(unknown)
    card = staff_client.post(add_url, {**data, "method": "card"})
    assert card.status_code == 400
    assert Payment.objects.count() == 1

    # Recorded once: never edited nor deleted.
    assert staff_client.post(reverse("admin:facturation_payment_change", args=[payment.pk]),
                             {"amount_cents": "1"}).status_code == 403
    assert staff_client.get(reverse("admin:facturation_payment_delete",
                                    args=[payment.pk])).status_code == 403


def test_recording_a_payment_needs_the_permission():
    invoice = InvoiceFactory(issued=True)
    client = login(staff_without("add_payment"))
    response = client.post(reverse("admin:facturation_payment_add"), {
        "invoice_number": invoice.number, "method": "cash", "amount": "1,00",
        "received_on": timezone.localdate().isoformat()})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_payments_flagged_for_refund_are_filtered(staff_client):
    invoice = InvoiceFactory(issued=True)
    Payment.objects.create(invoice=invoice, method=Payment.Method.CASH, amount_cents=100,
                           received_at=timezone.now())
    flagged = Payment.objects.create(invoice=invoice, method=Payment.Method.CARD,
                                     amount_cents=invoice.total_cents,
                                     received_at=timezone.now(), flagged_for_refund=True,
                                     flag_reason="facture déjà payée")
    response = staff_client.get(reverse("admin:facturation_payment_changelist")
                                + "?a_rembourser=oui")
    assert [p.pk for p in response.context["cl"].result_list] == [flagged.pk]
    assert "oui : facture déjà payée" in visible_text(response)


def test_families_balances():
    now = datetime.datetime(2031, 3, 12, 10, tzinfo=PARIS)
    with time_machine.travel(now, tick=False):
        staff_client = login(StaffFactory())
        owes = FamilyFactory(name="Famille Quéré")
        late = InvoiceFactory(issued=True, family=owes, total_cents=3000,
                              due_date=now.date() - datetime.timedelta(days=20))
        InvoiceFactory(issued=True, family=owes, total_cents=1500)  # not yet due
        Payment.objects.create(invoice=late, method=Payment.Method.CASH, amount_cents=1000,
                               received_at=now)
        settled = FamilyFactory(name="Famille Soldée")
        paid = InvoiceFactory(issued=True, family=settled, total_cents=2000)
        Payment.objects.create(invoice=paid, method=Payment.Method.CASH, amount_cents=2000,
                               received_at=now)
        InvoiceFactory(family=FamilyFactory(name="Famille Brouillon"))  # draft: owes nothing
        response = staff_client.get(reverse("admin:facturation_invoice_balances"))
    assert response.status_code == 200
    rows = table_rows(response)
    assert len(rows) == 1
    assert rows[0].startswith("Famille Quéré")
    assert f"{euros(3000 - 1000 + 1500)} 2 {euros(2000)}" in rows[0]
    assert f"Total restant dû : {euros(3500)}" in page_text(response)
    with time_machine.travel(now, tick=False):
        assert "Soldes des familles" in visible_text(staff_client.get(INVOICES))


def test_every_invoicing_page_opens_for_staff(booked):
    with time_machine.travel(month_after(booked.month), tick=False):
        run = prepare_run(booked.month)
        client = login(StaffFactory())
        invoice = run.invoices.first()
        payment = Payment.objects.create(invoice=InvoiceFactory(issued=True),
                                         method=Payment.Method.CASH, amount_cents=100,
                                         received_at=timezone.now())
        tariff = Tariff.objects.first()
        urls = [reverse(f"admin:facturation_{name}_changelist") for name in (
            "tariff", "billingrule", "billingrun", "invoice", "creditnote", "payment")]
        urls += [reverse("admin:facturation_tariff_add"),
                 reverse("admin:facturation_billingrule_add"),
                 reverse("admin:facturation_payment_add"),
                 reverse("admin:facturation_tariff_change", args=[tariff.pk]),
                 reverse("admin:facturation_tariff_history", args=[tariff.pk]),
                 reverse("admin:facturation_payment_change", args=[payment.pk]),
                 reverse("admin:facturation_invoice_change", args=[invoice.pk]),
                 run_url(run), PREPARE, reverse("admin:facturation_invoice_export"),
                 reverse("admin:facturation_invoice_balances")]
        for url in urls:
            assert client.get(url).status_code == 200, url
