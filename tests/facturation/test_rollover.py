"""Issue 25, « Next year in one click »: staff copy the demo year's catalogue into the next
school year from the admin (a confirmation page first); the copy is a draft families do not
see until published; every copied date agrees with the zone's official calendar, taken from
the `holidays` package here, not from the code under test; last year does not change."""

import datetime
import io

import holidays
import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from facturation.models import BillingRule, Tariff
from ground.commune import commune
from inscriptions.models import Activity, ActivityUnit, AnnualFile, ClosureDay, SchoolYear
from reservations.models import AgeGroup, BookingPeriod, CapacityRule, DeadlineRule, Slot
from tests.helpers import visible_text
from tests.scenarios.accounts import login, staff_without
from tests.scenarios.families import ChildFactory, GuardianFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:inscriptions_schoolyear_changelist")


def school_start() -> int:
    today = timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def official(start: int, end: int):
    """The zone's school holidays and France's public holidays, as the Ministry publishes
    them through the `holidays` package."""
    zone = f"Zone {commune().school_holiday_zone}"
    years = list(range(start, end + 1))
    school = holidays.country_holidays("FR", subdiv=zone, years=years, language="fr",
                                       categories=("school",))
    public = holidays.country_holidays("FR", years=years, language="fr")
    return school, public


def snapshot(year) -> dict:
    """Every row of the year's catalogue, as values: what must not change."""
    activities = Activity.objects.filter(school_year=year)
    return {
        "year": list(SchoolYear.objects.filter(pk=year.pk).values()),
        "activities": list(activities.order_by("pk").values()),
        "sites": sorted(activities.values_list("pk", "sites")),
        "units": list(ActivityUnit.objects.filter(activity__in=activities).order_by("pk").values()),
        "closures": list(ClosureDay.objects.filter(school_year=year).order_by("pk").values()),
        "rules": list(DeadlineRule.objects.filter(activity__in=activities).order_by("pk").values()),
        "groups": list(AgeGroup.objects.filter(activity__in=activities).order_by("pk").values()),
        "capacities": list(CapacityRule.objects.filter(activity__in=activities).order_by("pk")
                           .values()),
        "periods": list(BookingPeriod.objects.filter(activity__in=activities).order_by("pk")
                        .values()),
        "slots": list(Slot.objects.filter(activity__in=activities).order_by("pk").values()),
        "tariffs": list(Tariff.objects.filter(unit__activity__in=activities).order_by("pk")
                        .values()),
        "billing": list(BillingRule.objects.filter(activity__in=activities).order_by("pk")
                        .values()),
    }


@pytest.fixture
def demo_year():
    autumn = timezone.make_aware(datetime.datetime(school_start(), 10, 6, 10))
    with time_machine.travel(autumn, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    return SchoolYear.objects.get(start_date__year=school_start())


def roll_over_in_the_admin(client, year):
    """The staff's path: tick the year, choose the action, read, confirm."""
    data = {"action": "prepare_next_year", "_selected_action": [year.pk]}
    page = client.post(CHANGELIST, data)
    assert page.status_code == 200
    response = client.post(CHANGELIST, {**data, "confirm": "yes"}, follow=True)
    return page, response


def test_staff_copy_the_demo_year_as_a_draft_and_last_year_does_not_change(
        demo_year, staff_client):
    before = snapshot(demo_year)
    label = f"{school_start() + 1}-{school_start() + 2}"

    page, response = roll_over_in_the_admin(staff_client, demo_year)

    text = visible_text(page)
    assert f"Préparer l'année {label}" in text
    assert "6 activités" in text and "ALSH vacances" in text and "Restauration scolaire" in text
    assert "en brouillon" in text
    new = SchoolYear.objects.get(label=label)
    assert response.redirect_chain[-1][0] == reverse("admin:inscriptions_schoolyear_change",
                                                     args=[new.pk])
    assert f"L'année {label} est prête en brouillon : 6 activités" in visible_text(response)
    assert not new.published
    assert snapshot(demo_year) == before

    old_activities = {a.name: a for a in Activity.objects.filter(school_year=demo_year)}
    for activity in Activity.objects.filter(school_year=new):
        old = old_activities[activity.name]
        assert (activity.kind, activity.days, activity.weekdays, activity.min_age,
                activity.needs_reservation) == (old.kind, old.days, old.weekdays, old.min_age,
                                                old.needs_reservation)
        assert set(activity.sites.all()) == set(old.sites.all())
        assert ([u.label for u in activity.units.all()] == [u.label for u in old.units.all()])
        assert (CapacityRule.objects.filter(activity=activity).count()
                == CapacityRule.objects.filter(activity=old).count())
        if hasattr(old, "deadline_rule"):
            assert activity.deadline_rule.describe() == old.deadline_rule.describe()
        for unit, old_unit in zip(activity.units.all(), old.units.all(), strict=True):
            tariff = unit.tariffs.get()
            old_tariff = old_unit.tariffs.order_by("-valid_from").first()
            assert tariff.valid_from == new.start_date
            assert ([(b.qf_max, b.price_cents, b.outside_price_cents)
                     for b in tariff.brackets.all()]
                    == [(b.qf_max, b.price_cents, b.outside_price_cents)
                        for b in old_tariff.brackets.all()])


def test_every_copied_date_agrees_with_the_zones_calendar(demo_year, staff_client):
    roll_over_in_the_admin(staff_client, demo_year)
    new = SchoolYear.objects.get(published=False)
    school, public = official(new.start_date.year, new.end_date.year)
    old_school, _old_public = official(demo_year.start_date.year, demo_year.end_date.year)

    def within(day):
        return new.start_date <= day <= new.end_date

    # Booking periods: holidays go to the holidays of the same name, the rest keeps its
    # weekdays; openings keep their weekday and hour.
    old_periods = {(p.activity.name, p.label): p for p in
                   BookingPeriod.objects.filter(activity__school_year=demo_year)}
    new_periods = list(BookingPeriod.objects.filter(activity__school_year=new)
                       .select_related("activity"))
    assert len(new_periods) == len(old_periods)
    for period in new_periods:
        old = old_periods[(period.activity.name, period.label)]
        assert within(period.first_day) and within(period.last_day)
        assert period.first_day not in public and period.last_day not in public
        name = old_school.get(old.first_day)
        if name is not None and old_school.get(old.last_day) == name:
            assert school.get(period.first_day) == name == school.get(period.last_day), period
        opens, old_opens = (timezone.localtime(period.opens_at),
                            timezone.localtime(old.opens_at))
        assert (opens.weekday(), opens.time()) == (old_opens.weekday(), old_opens.time())
        assert opens.date() < period.first_day

    holiday_names = {old_school.get(p.first_day) for p in old_periods.values()} - {None}
    assert holiday_names <= {school.get(p.first_day) for p in new_periods}

    # Slots: on the days each activity runs in the new year, never a public holiday.
    slots = Slot.objects.filter(activity__school_year=new).select_related("activity")
    assert slots.exists()
    for slot in slots:
        day, activity = slot.date, slot.activity
        assert within(day) and day not in public and day.weekday() < 5, slot
        if activity.days == Activity.Days.HOLIDAYS:
            assert day in school, slot
        elif activity.days == Activity.Days.WEDNESDAYS:
            assert day.weekday() == 2 and day not in school, slot
        else:
            assert day.weekday() in activity.weekdays and day not in school, slot
    # Every Wednesday of school time has its slots, but the closure days staff had set.
    expected = {day for day in (new.start_date + datetime.timedelta(days=n)
                                for n in range((new.end_date - new.start_date).days + 1))
                if day.weekday() == 2 and day not in school and day not in public}
    for activity in Activity.objects.filter(school_year=new, days=Activity.Days.WEDNESDAYS):
        closed = set(ClosureDay.objects.filter(school_year=new).filter(
            Q(activity=None) | Q(activity=activity)).values_list("date", flat=True))
        assert set(slots.filter(activity=activity).values_list("date", flat=True)) == (
            expected - closed), activity

    # Closure days: in the new year, never on a public holiday, on the same weekday.
    old_closures = {c.label: c for c in ClosureDay.objects.filter(school_year=demo_year)}
    for closure in ClosureDay.objects.filter(school_year=new):
        assert within(closure.date) and closure.date not in public
        assert closure.date.weekday() == old_closures[closure.label].date.weekday()


def test_a_draft_year_is_invisible_to_families_until_published(demo_year, staff_client):
    roll_over_in_the_admin(staff_client, demo_year)
    new = SchoolYear.objects.get(published=False)
    during_campaign = new.reregistration_opens_at + datetime.timedelta(days=1)

    assert new not in SchoolYear.objects.open_for_files(during_campaign)
    # Nor through a crafted address: the draft year's dossier page does not exist.
    guardian = GuardianFactory()
    child = ChildFactory(family=guardian.family)
    client = Client()
    with time_machine.travel(during_campaign, tick=False):
        client.force_login(guardian.user)
        url = reverse("inscriptions:annual_file", kwargs={"child_pk": child.pk,
                                                          "year_pk": new.pk})
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert not AnnualFile.objects.filter(school_year=new).exists()
    response = staff_client.post(CHANGELIST, {"action": "publish",
                                              "_selected_action": [new.pk]}, follow=True)
    assert "1 année(s) publiée(s)" in visible_text(response)
    assert new in SchoolYear.objects.open_for_files(during_campaign)


def test_a_year_is_copied_once(demo_year, staff_client):
    roll_over_in_the_admin(staff_client, demo_year)
    count = Activity.objects.count()
    page = staff_client.post(CHANGELIST, {"action": "prepare_next_year",
                                          "_selected_action": [demo_year.pk]}, follow=True)
    assert f"L'année {school_start() + 1}-{school_start() + 2} existe déjà" in visible_text(page)
    assert Activity.objects.count() == count


def test_staff_not_allowed_to_create_tariffs_cannot_copy_a_year(demo_year):
    client = login(staff_without("add_tariff"))
    assert "prepare_next_year" not in client.get(CHANGELIST).content.decode()
    years = SchoolYear.objects.count()
    client.post(CHANGELIST, {"action": "prepare_next_year", "confirm": "yes",
                             "_selected_action": [demo_year.pk]})
    assert SchoolYear.objects.count() == years
