"""Who a message to families reaches (portail/audiences.py): for each kind of audience, the
families concerned, both households of a child in shared custody, nobody else, each family
once, in one statement."""

import datetime

import pytest
from django.utils import timezone

from inscriptions.models import Enrolment
from portail.audiences import audience_families, audience_ids, preview
from portail.models import Message
from reservations.models import Reservation
from tests.scenarios.billing import InvoiceFactory, pay
from tests.scenarios.enrolments import (
    ActivityFactory,
    AnnualFileFactory,
    EnrolmentFactory,
    SchoolYearFactory,
    SiteFactory,
    previous_school_year,
)
from tests.scenarios.families import ChildFactory, FamilyFactory, GuardianFactory
from tests.scenarios.messages import MessageFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def reached(message) -> list[int]:
    """The audience's ids, checked to name each family once."""
    ids = audience_ids(message)
    assert len(ids) == len(set(ids)), "a family is counted twice"
    return sorted(ids)


def ids(*families) -> list[int]:
    return sorted(family.pk for family in families)


def test_activity_reaches_enrolled_households_both_in_shared_custody_and_once(
        django_assert_num_queries):
    activity, other = ActivityFactory(), ActivityFactory()
    validated, asked, separated, withdrawn, elsewhere = (FamilyFactory() for _ in range(5))
    # Two children of one household enrolled: the household once.
    for _ in range(2):
        EnrolmentFactory(activity=activity, child=ChildFactory(family=validated))
    EnrolmentFactory(activity=activity, child=ChildFactory(family=asked), state="requested")
    # Shared custody: the child's second household is told too.
    EnrolmentFactory(activity=activity, child=ChildFactory(family=validated,
                                                           second_family=separated))
    EnrolmentFactory(activity=activity, child=ChildFactory(family=withdrawn),
                     state=Enrolment.State.WITHDRAWN)
    EnrolmentFactory(activity=other, child=ChildFactory(family=elsewhere))
    message = MessageFactory(activity=activity)

    assert reached(message) == ids(validated, asked, separated)
    with django_assert_num_queries(1):
        list(audience_families(message))


def test_site_reaches_current_enrolments_at_that_site_only():
    site, other_site = SiteFactory(), SiteFactory()
    activity = ActivityFactory(sites=[site, other_site])
    here, there, last_year = FamilyFactory(), FamilyFactory(), FamilyFactory()
    EnrolmentFactory(activity=activity, site=site, child=ChildFactory(family=here))
    EnrolmentFactory(activity=activity, site=other_site, child=ChildFactory(family=there))
    # An enrolment of a school year over does not make a family of the site any more.
    ended = ActivityFactory(sites=[site], school_year=SchoolYearFactory(start_year=2001))
    EnrolmentFactory(activity=ended, site=site, child=ChildFactory(family=last_year))

    assert reached(MessageFactory(audience=Message.Audience.SITE, site=site)) == ids(here)


def test_day_reaches_bookings_and_waiting_list_of_that_day():
    activity, other = ActivityFactory(), ActivityFactory()
    slot = SlotFactory(activity=activity)
    day = slot.date
    booked, waiting, cancelled, next_day, separated, other_activity = (
        FamilyFactory() for _ in range(6))
    ReservationFactory(slot=slot, child=ChildFactory(family=booked, second_family=separated))
    ReservationFactory(slot=slot, child=ChildFactory(family=waiting),
                       state=Reservation.State.WAITING, waiting_since=timezone.now())
    ReservationFactory(slot=slot, child=ChildFactory(family=cancelled),
                       state=Reservation.State.CANCELLED, cancelled_at=timezone.now())
    later = SlotFactory(activity=activity, date=day + datetime.timedelta(days=7))
    ReservationFactory(slot=later, child=ChildFactory(family=next_day))
    ReservationFactory(slot=SlotFactory(activity=other, date=day),
                       child=ChildFactory(family=other_activity))

    whole_day = MessageFactory(audience=Message.Audience.DAY, day=day, activity=None)
    assert reached(whole_day) == ids(booked, waiting, separated, other_activity)
    one_activity = MessageFactory(audience=Message.Audience.DAY, day=day, activity=activity)
    assert reached(one_activity) == ids(booked, waiting, separated)


def test_school_reaches_its_pupils_households_whatever_the_case():
    centre, spelled, other = FamilyFactory(), FamilyFactory(), FamilyFactory()
    ChildFactory(family=centre, school="École du Centre")
    ChildFactory(family=spelled, school="école du centre")
    ChildFactory(family=other, school="École des Pins")
    message = MessageFactory(audience=Message.Audience.SCHOOL, school="École du Centre ")
    assert reached(message) == ids(centre, spelled)


def test_unpaid_reaches_households_that_owe_on_an_issued_invoice():
    owing, partly, paid, draft = (FamilyFactory() for _ in range(4))
    InvoiceFactory(issued=True, family=owing, total_cents=4250)
    InvoiceFactory(issued=True, family=owing, total_cents=1000)  # still once
    pay(InvoiceFactory(issued=True, family=partly, total_cents=4250), amount_cents=1000)
    pay(InvoiceFactory(issued=True, family=paid, total_cents=4250))
    InvoiceFactory(family=draft, total_cents=4250)  # never issued: owes nothing

    assert reached(MessageFactory(audience=Message.Audience.UNPAID)) == ids(owing, partly)


def test_files_pending_reaches_households_whose_dossier_is_not_sent(
        django_assert_max_num_queries):
    year = SchoolYearFactory()
    last_year = previous_school_year(year)
    returning, started, sent_back, submitted, done, unknown, separated = (
        FamilyFactory() for _ in range(7))
    # Validated last year, nothing yet this year: expected, not sent.
    child = ChildFactory(family=returning, second_family=separated)
    AnnualFileFactory(child=child, school_year=last_year, validated=True)
    AnnualFileFactory(child=ChildFactory(family=started), school_year=year)  # a draft
    AnnualFileFactory(child=ChildFactory(family=sent_back), school_year=year,
                      state="returned", submitted_at=timezone.now(),
                      staff_comment="Il manque le justificatif de revenus.")
    AnnualFileFactory(child=ChildFactory(family=submitted), school_year=year, submitted=True)
    finished = ChildFactory(family=done)
    AnnualFileFactory(child=finished, school_year=last_year, validated=True)
    AnnualFileFactory(child=finished, school_year=year, validated=True)
    ChildFactory(family=unknown)  # never took part: no campaign e-mail either

    message = MessageFactory(audience=Message.Audience.FILES_PENDING, school_year=year)
    assert reached(message) == ids(returning, separated, started, sent_back)
    with django_assert_max_num_queries(2):  # the previous year, then the families
        list(audience_families(message))


def test_preview_counts_families_by_email_and_in_one_statement(django_assert_num_queries):
    activity = ActivityFactory()
    for _ in range(3):
        guardian = GuardianFactory()
        GuardianFactory(family=guardian.family)  # two guardians: still one family
        EnrolmentFactory(activity=activity, child=ChildFactory(family=guardian.family))
    message = MessageFactory(activity=activity)

    with django_assert_num_queries(1):
        result = preview(message)
    assert (result.count, result.by_email, result.by_letter) == (3, 3, 0)
    assert [f.with_email for f in result.families] == [2, 2, 2]
