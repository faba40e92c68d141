"""Running a month again: a draft is replaced, never duplicated; after issue, nothing new
unless something changed, and then a credit note of the whole old invoice and a corrective
invoice. Issued invoices never change and are never deleted; a missing tariff stops the run
before anything is written; a run is issued once."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from facturation.models import (
    BillingRun,
    CreditNote,
    Invoice,
    InvoiceLine,
    NumberSequence,
    Payment,
    Tariff,
    TariffBracket,
)
from facturation.services.billing import issue_run, prepare_run
from ground.models import OutboxMessage
from reservations.models import AbsenceJustification, Reservation
from reservations.services.absences import accept_justification, justify_absence
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import TARIFF, give_qf, line_rows, weekdays_of
from tests.scenarios.reservations import ReservationFactory, SlotFactory, ready_child

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
LOW, MIDDLE, TOP = TARIFF


class Setting:
    """October of the activity's first year: two families on its Wednesdays."""

    def __init__(self, activity):
        self.activity = activity
        self.month = datetime.date(activity.school_year.start_date.year, 10, 1)
        self.wednesdays = weekdays_of(self.month, 2)
        self.staff = StaffFactory()
        self.low = ready_child(activity)  # QF in the lowest bracket, every Wednesday
        give_qf(self.low.family, 500)
        self.top = ready_child(activity)  # no QF: top bracket, the first two Wednesdays
        self.slots = {day: SlotFactory(activity=activity, date=day) for day in self.wednesdays}
        for day in self.wednesdays:
            ReservationFactory(slot=self.slots[day], child=self.low.child)
        for day in self.wednesdays[:2]:
            ReservationFactory(slot=self.slots[day], child=self.top.child)
        # Issued early the next month, in the commune's time zone.
        self.issue_time = datetime.datetime(self.month.year, 11, 5, 10, 0, tzinfo=PARIS)
        self.year = self.month.year

    def issue(self, run, at=None):
        return issue_run(run.pk, self.staff, now=at or self.issue_time)

    def justify_and_accept(self, day):
        reservation = Reservation.objects.get(child=self.low.child, slot__date=day)
        evening = datetime.datetime.combine(day, datetime.time(19, 0), tzinfo=PARIS)
        justification = justify_absence(
            self.low.family, reservation.pk, reason=AbsenceJustification.Reason.ILLNESS,
            user=self.low.user, now=evening)
        accept_justification(justification.pk, self.staff)


@pytest.fixture
def setting(priced) -> Setting:
    return Setting(priced)


def family_balance(family) -> int:
    """What the family owes, derived: issued invoices minus payments and credit notes."""
    return sum(invoice.balance_cents()
               for invoice in Invoice.objects.filter(family=family,
                                                     state=Invoice.State.ISSUED))


def snapshot(invoice) -> tuple:
    invoice.refresh_from_db()
    return (invoice.number, invoice.state, invoice.total_cents, invoice.issued_at,
            invoice.due_date, line_rows(invoice))


def test_preparing_a_month_twice_duplicates_nothing(setting):
    first = prepare_run(setting.month)
    rows = {i.family_id: line_rows(i) for i in first.invoices.all()}

    second = prepare_run(setting.month)

    assert second.pk == first.pk
    assert BillingRun.objects.filter(month=setting.month).count() == 1
    assert Invoice.objects.filter(month=setting.month).count() == 2
    assert InvoiceLine.objects.count() == 2
    assert {i.family_id: line_rows(i) for i in second.invoices.all()} == rows
    n = len(setting.wednesdays)
    assert rows == {
        setting.low.family.pk: [(setting.low.child.pk, "Journée",
                                 [d.isoformat() for d in setting.wednesdays], n, LOW[1],
                                 n * LOW[1])],
        setting.top.family.pk: [(setting.top.child.pk, "Journée",
                                 [d.isoformat() for d in setting.wednesdays[:2]], 2, TOP[1],
                                 2 * TOP[1])],
    }


def test_issuing_numbers_dates_and_tells_each_family(setting):
    run = prepare_run(setting.month)

    setting.issue(run)

    run.refresh_from_db()
    assert run.state == BillingRun.State.ISSUED and run.issued_by == setting.staff
    invoices = list(Invoice.objects.filter(run=run).order_by("number"))
    assert [i.number for i in invoices] == [f"{setting.year}-000001", f"{setting.year}-000002"]
    for invoice in invoices:
        assert invoice.state == Invoice.State.ISSUED
        assert invoice.issued_at == setting.issue_time
        assert invoice.due_date == datetime.date(setting.year, 12, 5)  # 30 days later
        [message] = [m for m in OutboxMessage.objects.filter(template="invoice_issued")
                     if m.to == invoice.family.guardian_emails()]
        assert invoice.number in message.subject
        assert invoice.total.replace("\u202f", " ") in message.body_text.replace("\u202f", " ")
    assert family_balance(setting.low.family) == len(setting.wednesdays) * LOW[1]


def test_issuing_then_preparing_again_without_change_creates_nothing(setting):
    issued = setting.issue(prepare_run(setting.month))
    before = {i.pk: snapshot(i) for i in Invoice.objects.all()}
    messages = OutboxMessage.objects.count()

    again = prepare_run(setting.month)

    assert again.pk != issued.pk
    assert not again.invoices.exists()
    setting.issue(again, at=setting.issue_time + datetime.timedelta(days=1))
    assert {i.pk: snapshot(i) for i in Invoice.objects.all()} == before
    assert not CreditNote.objects.exists()
    assert OutboxMessage.objects.count() == messages
    assert NumberSequence.objects.get(kind="invoice", year=setting.year).last == 2


def test_an_absence_accepted_after_issue_gives_a_credit_note_and_a_corrective_invoice(
        setting):
    n = len(setting.wednesdays)
    setting.issue(prepare_run(setting.month))
    old = Invoice.objects.get(family=setting.low.family)
    old_state = snapshot(old)
    untouched = Invoice.objects.get(family=setting.top.family)
    untouched_state = snapshot(untouched)
    assert old.total_cents == n * LOW[1]

    justified = setting.wednesdays[1]
    messages_before = list(OutboxMessage.objects.values_list("pk", flat=True))
    # Accepted after issue: credited and corrected at once (issue 23; the acceptance e-mail:
    # tests/facturation/test_late_absence_credit.py).
    setting.justify_and_accept(justified)

    draft = Invoice.objects.get(corrects=old)
    assert draft.family == setting.low.family and draft.state == Invoice.State.ISSUED
    kept = [d for d in setting.wednesdays if d != justified]
    assert line_rows(draft) == [(setting.low.child.pk, "Journée",
                                 [d.isoformat() for d in kept], n - 1, LOW[1],
                                 (n - 1) * LOW[1])]

    [credit] = CreditNote.objects.all()
    assert credit.invoice == old and credit.amount_cents == n * LOW[1]
    assert credit.number.startswith("AV-") and credit.number.endswith("-000001")
    assert draft.number not in (None, old.number, untouched.number)
    assert draft.total_cents == (n - 1) * LOW[1]
    assert snapshot(old) == old_state  # the issued invoice never changes
    assert snapshot(untouched) == untouched_state
    assert old.balance_cents() == 0
    assert family_balance(setting.low.family) == (n - 1) * LOW[1]
    [message] = OutboxMessage.objects.filter(template="invoice_issued").exclude(
        pk__in=messages_before)
    assert message.to == setting.low.family.guardian_emails()
    assert credit.number in message.body_text and old.number in message.body_text
    assert draft.number in message.body_text

    # Preparing once more: everything matches, nothing new.
    assert not prepare_run(setting.month).invoices.exists()


def test_a_paid_invoice_corrected_leaves_the_family_in_credit(setting):
    setting.issue(prepare_run(setting.month))
    old = Invoice.objects.get(family=setting.low.family)
    Payment.objects.create(invoice=old, method=Payment.Method.CHEQUE,
                           amount_cents=old.total_cents, received_at=timezone.now())
    assert family_balance(setting.low.family) == 0

    setting.justify_and_accept(setting.wednesdays[0])
    setting.issue(prepare_run(setting.month), at=setting.issue_time + datetime.timedelta(days=3))

    # Paid n days, owes n − 1: one day to the family's credit.
    assert family_balance(setting.low.family) == -LOW[1]


def test_every_day_justified_after_issue_credits_the_invoice_and_bills_nothing(setting):
    setting.issue(prepare_run(setting.month))
    old = Invoice.objects.get(family=setting.low.family)
    for day in setting.wednesdays:
        setting.justify_and_accept(day)  # each credits the invoice then in force (issue 23)

    setting.issue(prepare_run(setting.month), at=setting.issue_time + datetime.timedelta(days=3))

    assert old.credit_notes.get().amount_cents == old.total_cents
    # The last corrective invoice bills nothing: deleted, its credit note says it all.
    issued = Invoice.objects.filter(family=setting.low.family, state=Invoice.State.ISSUED)
    assert all(invoice.credit_notes.exists() for invoice in issued)
    assert family_balance(setting.low.family) == 0
    last = OutboxMessage.objects.filter(template="invoice_issued").latest("created_at")
    assert "Il ne reste rien à payer" in last.body_text


def test_an_issued_invoice_cannot_be_deleted(setting):
    setting.issue(prepare_run(setting.month))
    invoice = Invoice.objects.get(family=setting.low.family)
    state = snapshot(invoice)

    with pytest.raises(ValidationError, match="ne se supprime jamais"):
        invoice.delete()

    assert snapshot(Invoice.objects.get(pk=invoice.pk)) == state


def test_a_missing_tariff_stops_the_run_in_french_and_writes_nothing(setting):
    Tariff.objects.filter(unit__activity=setting.activity).update(
        valid_from=setting.wednesdays[2])  # no price for the first two Wednesdays

    with pytest.raises(ValidationError) as error:
        prepare_run(setting.month)

    text = " ".join(error.value.messages)
    assert "Aucun tarif" in text
    assert f"{setting.wednesdays[0]:%d/%m/%Y}" in text
    assert f"{setting.wednesdays[2]:%d/%m/%Y}" not in text
    assert not BillingRun.objects.exists()
    assert not Invoice.objects.exists()


def test_a_missing_tariff_leaves_the_previous_draft_as_it_was(setting):
    run = prepare_run(setting.month)
    before = {i.pk: line_rows(i) for i in run.invoices.all()}
    Tariff.objects.filter(unit__activity=setting.activity).delete()

    with pytest.raises(ValidationError):
        prepare_run(setting.month)

    assert {i.pk: line_rows(i) for i in Invoice.objects.filter(run=run)} == before


def test_a_run_is_issued_once(setting):
    run = prepare_run(setting.month)
    setting.issue(run)

    with pytest.raises(ValidationError, match="déjà émise"):
        setting.issue(run, at=setting.issue_time + datetime.timedelta(hours=1))

    assert NumberSequence.objects.get(kind="invoice", year=setting.year).last == 2
    assert OutboxMessage.objects.filter(template="invoice_issued").count() == 2


def test_the_numbering_year_is_the_issue_year_in_paris(setting):
    run = prepare_run(setting.month)
    new_year_in_paris = datetime.datetime(setting.year, 12, 31, 23, 30, tzinfo=datetime.UTC)

    with time_machine.travel(new_year_in_paris, tick=False):
        issue_run(run.pk, setting.staff)

    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"{setting.year + 1}-000001", f"{setting.year + 1}-000002"]


def test_a_month_priced_at_nothing_issues_no_invoice_and_no_email(setting):
    # A commune may make the lowest bracket free: the family in it owes nothing.
    TariffBracket.objects.filter(tariff__unit__activity=setting.activity, qf_max=600).update(
        price_cents=0)
    run = prepare_run(setting.month)

    setting.issue(run)

    assert list(Invoice.objects.values_list("family", flat=True)) == [setting.top.family.pk]
    [message] = OutboxMessage.objects.filter(template="invoice_issued")
    assert message.to == setting.top.family.guardian_emails()
    # Preparing again finds nothing new to draft either.
    assert not prepare_run(setting.month).invoices.exists()
