"""The billing matrix over one month holding a French public holiday, built with the real
services (slot generation, booking, cancelling, registers, absence justifications):

present → billed; absent without justification → billed (free if the activity's
BillingRule says so); justified and accepted → free; justification refused → billed;
booked with no register taken → billed; cancelled in time → free; cancelled late by staff
→ billed (free if the rule says so); waiting → free; care presence without reservation →
billed to the payer of the child's dossier; shared custody → each household pays the days
it booked. Expected figures come from the tariff set here (TARIFF, tests/scenarios/billing.py)."""

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from facturation.models import BillingRule, Invoice
from ground.calendar import days_between, public_holiday, school_holiday
from inscriptions.models import AnnualFile
from reservations.models import AbsenceJustification, Attendance, Reservation, Slot
from reservations.services import booking, generate_slots
from reservations.services.absences import (
    accept_justification,
    justify_absence,
    refuse_justification,
)
from reservations.services.registers import AttendanceMark, record_attendance
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import TARIFF, give_qf, line_rows, prepare, priced_activity
from tests.scenarios.enrolments import EnrolmentFactory
from tests.scenarios.families import GuardianFactory
from tests.scenarios.reservations import book_as, ready_child

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
LOW, MIDDLE, TOP = TARIFF  # (qf_max, commune price, outside price)
CASES = ["present", "absent", "accepted", "refused", "booked", "in_time", "late", "waiting"]


def term_holiday(year) -> datetime.date:
    """The school year's first public holiday on a weekday outside the school holidays:
    a day the canteen would run but for the holiday."""
    return next(day for day in days_between(year.start_date, year.end_date)
                if day.weekday() < 5 and public_holiday(day) and not school_holiday(day))


@dataclass
class Month:
    first: datetime.date
    last: datetime.date
    holiday: datetime.date
    canteen: object
    care: object
    days: list  # the canteen's days of the month, as generated
    case_day: dict = field(default_factory=dict)
    staff: object = None


def slot_on(activity, day) -> Slot:
    return Slot.objects.get(activity=activity, date=day)


def mark(booker_child, unit, status) -> AttendanceMark:
    return AttendanceMark(child_id=booker_child.pk, unit_id=unit.pk, status=status)


@pytest.fixture
def month(db) -> Month:
    canteen = priced_activity(canteen=True, weekdays=[0, 1, 2, 3, 4])
    year = canteen.school_year
    holiday = term_holiday(year)
    first = holiday.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    generate_slots(canteen, first, last)
    days = sorted(Slot.objects.filter(activity=canteen).values_list("date", flat=True))
    care = priced_activity(care=True, school_year=year)
    return Month(first=first, last=last, holiday=holiday, canteen=canteen, care=care,
                 days=days, staff=StaffFactory())


@pytest.fixture
def matrix(month):
    """One child living every case of the matrix, one day each; another family's child
    holds the place the first one waits for."""
    canteen, staff = month.canteen, month.staff
    booker = ready_child(canteen)
    give_qf(booker.family, 500)  # the lowest bracket
    month.case_day = dict(zip(CASES, month.days, strict=False))
    days = month.case_day
    for case in CASES[:-1]:
        assert book_as(booker, slot_on(canteen, days[case])).state == "confirmed"

    # Waiting: one place, taken by another family's child first.
    full = slot_on(canteen, days["waiting"])
    booking.set_capacity(full.pk, 1, staff)
    other = ready_child(canteen)
    assert book_as(other, full).state == "confirmed"
    assert book_as(booker, full, join_waiting_list=True).state == "waiting"

    # Cancelled by the parent before the deadline; cancelled late by staff.
    [cancelled] = booking.cancel(booker.family, booker.child.pk,
                                 [slot_on(canteen, days["in_time"]).pk], booker.user)
    assert cancelled.state == "cancelled"
    late = Reservation.objects.get(child=booker.child, slot__date=days["late"])
    assert booking.cancel_by_staff(late.pk, staff, late=True)

    # The registers of the days gone by.
    unit = canteen.units.get()
    site = canteen.sites.get()
    for case, status in [("present", Attendance.Status.PRESENT),
                         ("absent", Attendance.Status.ABSENT),
                         ("accepted", Attendance.Status.ABSENT),
                         ("refused", Attendance.Status.ABSENT)]:
        record_attendance(canteen, site, days[case], [mark(booker.child, unit, status)], staff,
                          today=days[case])

    # Absences justified the evening of the day, then decided by staff.
    for case in ("accepted", "refused"):
        reservation = Reservation.objects.get(child=booker.child, slot__date=days[case])
        evening = datetime.datetime.combine(days[case], datetime.time(19, 0), tzinfo=PARIS)
        justification = justify_absence(
            booker.family, reservation.pk, reason=AbsenceJustification.Reason.ILLNESS,
            user=booker.user, now=evening)
        if case == "accepted":
            accept_justification(justification.pk, staff)
        else:
            refuse_justification(justification.pk, staff, "Aucun certificat médical.")
    return booker, other


def iso(days) -> list[str]:
    return sorted(day.isoformat() for day in days)


def test_the_public_holiday_has_no_slot(month):
    assert month.holiday.weekday() in month.canteen.weekdays
    assert month.first <= month.holiday <= month.last
    assert month.holiday not in month.days
    assert month.days, "the month should have canteen days"
    assert all(public_holiday(day) is None for day in month.days)
    # Nor can a care register be taken that day: nothing to bill on it.
    booker = ready_child(month.canteen)
    EnrolmentFactory(child=booker.child, activity=month.care, requested_by=booker.user)
    presence = mark(booker.child, month.care.units.first(), Attendance.Status.PRESENT)
    with pytest.raises(ValidationError):
        record_attendance(month.care, month.care.sites.get(), month.holiday, [presence],
                          month.staff, today=month.holiday)


def test_the_month_bills_presence_unjustified_absence_refused_booked_and_late(month, matrix):
    booker, other = matrix
    days = month.case_day

    invoices = prepare(month.first)

    billed = [days[case] for case in ("present", "absent", "refused", "booked", "late")]
    assert line_rows(invoices[booker.family.pk]) == [
        (booker.child.pk, "Repas", iso(billed), 5, LOW[1], 5 * LOW[1])]
    assert invoices[booker.family.pk].total_cents == 5 * LOW[1]
    # The family waiting for the place pays nothing for it; the one holding it pays
    # (no QF: the top bracket).
    assert line_rows(invoices[other.family.pk]) == [
        (other.child.pk, "Repas", iso([days["waiting"]]), 1, TOP[1], TOP[1])]
    assert set(invoices) == {booker.family.pk, other.family.pk}
    assert all(invoice.state == Invoice.State.DRAFT and invoice.number is None
               for invoice in invoices.values())


def test_unjustified_absences_are_free_when_the_activity_says_so(month, matrix):
    booker, _other = matrix
    BillingRule.objects.create(activity=month.canteen, bill_unjustified_absence=False)
    days = month.case_day

    invoice = prepare(month.first)[booker.family.pk]

    # A refused justification leaves an unjustified absence: free as well.
    billed = [days[case] for case in ("present", "booked", "late")]
    assert line_rows(invoice) == [(booker.child.pk, "Repas", iso(billed), 3, LOW[1],
                                   3 * LOW[1])]


def test_late_cancellations_are_free_when_the_activity_says_so(month, matrix):
    booker, _other = matrix
    BillingRule.objects.create(activity=month.canteen, bill_late_cancellation=False)
    days = month.case_day

    invoice = prepare(month.first)[booker.family.pk]

    billed = [days[case] for case in ("present", "absent", "refused", "booked")]
    assert line_rows(invoice) == [(booker.child.pk, "Repas", iso(billed), 4, LOW[1],
                                   4 * LOW[1])]


def test_care_presence_without_reservation_is_billed_to_the_payer_of_the_dossier(month):
    care, staff = month.care, month.staff
    booker = ready_child(month.canteen)  # dossier validated for the year
    give_qf(booker.family, 500)
    payer = GuardianFactory().family  # the other household, named payer in the dossier
    give_qf(payer, 1000)
    child = booker.child
    child.second_family = payer
    child.save()
    AnnualFile.objects.filter(child=child).update(shared_custody=True, payer_family=payer)
    EnrolmentFactory(child=child, activity=care, requested_by=booker.user)
    morning, evening = care.units.order_by("position")
    site = care.sites.get()
    care_days = [day for day in month.days if day.weekday() in care.weekdays][:3]
    for day in care_days[:2]:
        record_attendance(care, site, day, [mark(child, morning, Attendance.Status.PRESENT),
                                            mark(child, evening, Attendance.Status.ABSENT)],
                          staff, today=day)
    record_attendance(care, site, care_days[2], [mark(child, evening,
                                                      Attendance.Status.PRESENT)],
                      staff, today=care_days[2])

    invoices = prepare(month.first)

    assert set(invoices) == {payer.pk}
    assert line_rows(invoices[payer.pk]) == sorted([
        (child.pk, "Matin", iso(care_days[:2]), 2, MIDDLE[1], 2 * MIDDLE[1]),
        (child.pk, "Soir", iso(care_days[2:]), 1, MIDDLE[1], MIDDLE[1]),
    ])
    assert invoices[payer.pk].total_cents == 3 * MIDDLE[1]


def test_shared_custody_each_household_pays_the_days_it_booked(month):
    canteen = month.canteen
    mother = ready_child(canteen)
    give_qf(mother.family, 500)
    father_guardian = GuardianFactory()  # no QF: the top bracket
    child = mother.child
    child.second_family = father_guardian.family
    child.save()
    mothers_days, fathers_days = month.days[:3], month.days[5:7]
    booking.book(mother.family, child.pk, [slot_on(canteen, d).pk for d in mothers_days],
                 mother.user)
    outcomes = booking.book(father_guardian.family, child.pk,
                            [slot_on(canteen, d).pk for d in fathers_days],
                            father_guardian.user)
    assert [o.state for o in outcomes] == ["confirmed", "confirmed"]

    invoices = prepare(month.first)

    assert line_rows(invoices[mother.family.pk]) == [
        (child.pk, "Repas", iso(mothers_days), 3, LOW[1], 3 * LOW[1])]
    assert line_rows(invoices[father_guardian.family.pk]) == [
        (child.pk, "Repas", iso(fathers_days), 2, TOP[1], 2 * TOP[1])]
