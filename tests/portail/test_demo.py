"""The demo data that `make run` loads: fast, idempotent, and telling the brochure's story
(activities, deadlines, periods, enrolments, a subscription, a waiting list, a request for
staff) whatever the date it is run on."""

import csv
import datetime
import io
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from facturation.models import (
    Attestation,
    BillingRule,
    BillingRun,
    Invoice,
    InvoiceLine,
    Tariff,
    TariffBracket,
)
from familles.models import Child, Family, Letter, User
from ground.models import OutboxMessage
from inscriptions.models import (
    Activity,
    ActivityUnit,
    AnnualFile,
    ClosureDay,
    Enrolment,
    Site,
)
from portail.demo import (
    ADMIN_EMAIL,
    DEMO_MESSAGE_SUBJECT,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    STAFF_EMAIL,
)
from portail.demo_allocation import SESSIONS, WORKSHOP
from portail.models import Message, MessageDelivery
from reservations.models import (
    AgeGroup,
    Attendance,
    BookingPeriod,
    CapacityRule,
    DeadlineRule,
    MealSubscription,
    Reservation,
    Slot,
)
from reservations.services import justifiable_reservations
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

COUNTED = [User, Child, AnnualFile, Site, Activity, ActivityUnit, ClosureDay, Enrolment,
           MealSubscription, AgeGroup, BookingPeriod, CapacityRule, DeadlineRule, Slot,
           Reservation, OutboxMessage, Tariff, TariffBracket, BillingRule, BillingRun, Invoice,
           InvoiceLine, Message, MessageDelivery]


def school_start() -> int:
    today = timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def moment(year, month, day, hour=10):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, 0))


AUTUMN = moment(school_start(), 10, 6)      # the January period is still to open
SPRING = moment(school_start() + 1, 3, 3)   # every Wednesday period is open


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seed_is_fast_and_idempotent():
    # On an empty database (no module-wide seeding left open: pytest runs this one first).
    assert counts()["User"] == 0
    with time_machine.travel(AUTUMN, tick=True):
        started = time.monotonic()
        seed()
        assert time.monotonic() - started < 10
        first = counts()
        assert first["Slot"] > 0 and first["Reservation"] > 0 and first["Enrolment"] > 0
        seed()
        assert counts() == first


@pytest.fixture(scope="module", params=[AUTUMN, SPRING], ids=["autumn", "spring"])
def seeded_once(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once at each date for the module's tests, in a transaction rolled back
    after the last of them; each test runs in a savepoint of it (pytest-django's `db`), so
    that what one test changes is undone before the next, as if seeded afresh."""
    from django.db import transaction
    from django.test import override_settings

    private_root = tmp_path_factory.mktemp("private")  # the demo's documents
    with time_machine.travel(request.param, tick=False):
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                with override_settings(PRIVATE_MEDIA_ROOT=private_root):
                    output = seed()
            except BaseException:
                outer.__exit__(None, None, None)
                raise
        yield output, private_root
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(seeded_once, db, settings):
    output, private_root = seeded_once
    settings.PRIVATE_MEDIA_ROOT = private_root
    return output


def activity(name) -> Activity:
    return Activity.objects.get(name=name, school_year__start_date__year=school_start())


def test_catalogue_of_the_brochure(seeded):
    assert set(Site.objects.values_list("name", flat=True)) >= {
        "École des Tilleuls", "École du Port", "Centre de loisirs Les Goélands"}
    canteen = activity("Restauration scolaire")
    assert canteen.weekday_names() == ["lundi", "mardi", "jeudi", "vendredi"]
    assert canteen.allows_subscription
    assert [u.label for u in canteen.units.all()] == ["Repas"]
    assert canteen.deadline_rule.describe() == "2 jours ouvrés avant, 10 h"

    care = activity("Accueil périscolaire")
    assert not care.needs_reservation
    assert [u.label for u in care.units.all()] == ["Matin", "Soir"]
    assert not Slot.objects.filter(activity=care).exists()

    wednesday = activity("ALSH mercredi")
    assert (wednesday.min_age, wednesday.max_age) == (3, 11)
    assert [u.label for u in wednesday.units.all()] == [
        "Journée", "Matin", "Après-midi avec repas"]
    assert wednesday.deadline_rule.describe() == "le mercredi précédent, 12 h"
    groups = {g.label: (g.min_age, g.max_age) for g in wednesday.age_groups.all()}
    assert groups == {"Moins de 6 ans": (3, 5), "6 ans et plus": (6, 11)}
    capacities = {r.age_group.label: r.capacity for r in wednesday.capacity_rules.all()}
    assert len(set(capacities.values())) == 2  # each group counts its own places
    assert set(Slot.objects.filter(activity=wednesday).values_list(
        "age_group__label", flat=True)) == set(groups)

    holidays = activity("ALSH vacances")
    assert holidays.deadline_rule.describe() == "15 jours avant, 12 h"
    assert Slot.objects.filter(activity=holidays).exists()

    passerelle = activity("Passerelle mercredi")
    assert (passerelle.min_age, passerelle.max_age) == (11, 14)
    assert not passerelle.auto_validated


def test_booking_periods_open_and_to_come(seeded):
    now = timezone.now()
    wednesday = activity("ALSH mercredi")
    autumn, spring = wednesday.booking_periods.order_by("first_day")
    assert (autumn.first_day.month, autumn.last_day.month) == (9, 12)
    assert autumn.opens_at <= now
    assert spring.first_day.month == 1 and spring.last_day.month in (6, 7)
    assert (spring.opens_at > now) == (now.date() < spring.first_day)
    # The holidays always have a period whose reservations have not opened yet.
    assert activity("ALSH vacances").booking_periods.filter(opens_at__gt=now).exists()


def test_families_enrolments_subscription_and_waiting_list(seeded):
    lea = Child.objects.get(first_name="Léa", last_name="Martin")
    assert set(Enrolment.objects.filter(child=lea, state="validated").values_list(
        "activity__name", flat=True)) == {"Restauration scolaire", "ALSH mercredi", WORKSHOP}

    subscription = MealSubscription.objects.get(enrolment__child=lea)
    assert subscription.active and subscription.weekdays == [0, 1, 3]
    meals = Reservation.objects.filter(child=lea, source="subscription", state="confirmed")
    assert meals.exists()
    assert {r.slot.date.weekday() for r in meals} <= {0, 1, 3}
    assert all(r.slot.date >= subscription.applies_from for r in meals)

    full = Slot.objects.get(reservations__child=lea, reservations__state="waiting",
                            activity=activity("ALSH mercredi"))
    assert full.booked == full.capacity
    assert Slot.objects.filter(activity=full.activity, capacity=F("booked") + 1,
                               reservations__isnull=False).exists()  # one place left
    assert all(s.booked == s.reservations.filter(state="confirmed").count()
               for s in Slot.objects.filter(reservations__isnull=False).distinct())


def test_staff_find_the_pending_passerelle_request(seeded):
    client = Client()
    client.force_login(User.objects.get(email=STAFF_EMAIL))
    response = client.get("/gestion/inscriptions/enrolment/?state__exact=requested")
    assert response.status_code == 200
    assert [str(e) for e in response.context["cl"].result_list] == [
        str(Enrolment.objects.get(activity__name="Passerelle mercredi",
                                  child__first_name="Chloé"))]
    assert "Chloé Le Gall" in visible_text(response)


def test_staff_find_paul_martins_pending_erasure_request_and_its_plan(seeded):
    """The demo's erasure request: Claire still uses the portal, so only Paul's account
    would go; the agent reads the plan (deciding is a permission the group has not)."""
    client = Client()
    client.force_login(User.objects.get(email=STAFF_EMAIL))
    listing = client.get("/gestion/portail/erasurerequest/?state__exact=pending")
    [request] = listing.context["cl"].result_list
    assert request.requested_by.email == "martin.paul@demo.example"
    page = visible_text(client.get(f"/gestion/portail/erasurerequest/{request.pk}/change/"))
    assert "seuls ce compte et ses coordonnées sont effacés" in page
    assert "Les factures émises" in page and "Approuver et effacer" not in page


def test_demo_staff_reach_the_admin_with_the_printed_key_and_code(seeded):
    """The admin asks staff for a second factor: the demo prints the key of its staff, and
    `demo_code` the code of the moment, so that a newcomer tries the admin on day one."""
    assert DEMO_TOTP_SECRET in seeded and "demo_code" in seeded
    out = io.StringIO()
    call_command("demo_code", stdout=out)
    code = out.getvalue().split()[0]
    for email in (STAFF_EMAIL, ADMIN_EMAIL):
        client = Client()
        asked = client.post("/compte/login/?next=/gestion/",
                            {"login": email, "password": DEMO_PASSWORD})
        assert asked["Location"] == "/compte/2fa/authenticate/"
        assert client.post(asked["Location"], {"code": code})["Location"] == "/gestion/"
        assert client.get("/gestion/").status_code == 200


def test_demo_messages_are_recorded_not_printed(seeded):
    assert "legall@demo.example" in seeded
    enrolment_mails = OutboxMessage.objects.filter(template__startswith="enrolment_")
    assert enrolment_mails.exists()
    assert not enrolment_mails.filter(status=OutboxMessage.Status.PENDING).exists()


def test_the_demo_parent_reads_the_services_message_and_its_shared_custody_home_too(seeded):
    message = Message.objects.get(subject=DEMO_MESSAGE_SUBJECT)
    assert message.state == Message.State.SENT
    reached = set(message.deliveries.values_list("family__name", flat=True))
    assert {"Famille Martin", "Famille Bernard", "Famille Petit"} <= reached
    # A day after the seeding, whichever date the demo was seeded at.
    with time_machine.travel(message.sent_at + datetime.timedelta(days=1), tick=False):
        for email in ("martin@demo.example", "petit@demo.example"):
            client = Client()
            client.force_login(User.objects.get(email=email))
            assert DEMO_MESSAGE_SUBJECT in client.get(reverse("home")).content.decode()


def test_tariffs_rules_and_an_issued_month(seeded):
    year_activities = Activity.objects.filter(school_year__start_date__year=school_start())
    units = ActivityUnit.objects.filter(activity__in=year_activities)
    for unit in units:
        [tariff] = Tariff.objects.filter(unit=unit)
        brackets = list(tariff.brackets.all())
        assert [b.qf_max for b in brackets] == [600, 1200, None]
        prices = [b.price_cents for b in brackets]
        assert prices == sorted(prices) and len(set(prices)) == 3  # a higher QF pays more
        assert all(b.outside_price_cents >= prices[-1] for b in brackets)
    assert BillingRule.objects.filter(activity__in=year_activities).count() == (
        year_activities.count())

    # The month just ended: Léa's meals, billed to the Martin family at its QF's bracket.
    [invoice] = Invoice.objects.filter(family__name="Famille Martin")
    assert invoice.state == Invoice.State.ISSUED and invoice.number
    today = timezone.localdate()
    assert invoice.month == (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    [line] = invoice.lines.all()
    quotient = invoice.family.family_quotients.get().value
    bracket = TariffBracket.objects.filter(
        tariff__unit=line.unit, qf_max__gte=quotient).order_by("qf_max").first()
    assert line.unit_price_cents == bracket.price_cents
    assert {datetime.date.fromisoformat(d).weekday() for d in line.dates} <= {0, 1, 3}
    assert invoice.total_cents == line.quantity * bracket.price_cents > 0
    assert all(s.booked == s.reservations.filter(state="confirmed").count()
               for s in Slot.objects.filter(reservations__isnull=False).distinct())

    client = Client()
    client.force_login(User.objects.get(email=STAFF_EMAIL))
    response = client.get("/gestion/facturation/invoice/")
    assert response.status_code == 200
    assert invoice.number in visible_text(response)


def test_the_demo_parent_pays_the_martin_invoice_with_the_demo_provider(seeded, settings):
    """`make run` (dev settings) pays online with the demonstration provider, no internet."""
    settings.PORTAIL_PAYMENT_PROVIDER = "demo"
    [invoice] = Invoice.objects.filter(family__name="Famille Martin")
    client = Client()
    client.force_login(User.objects.get(email="martin@demo.example"))
    invoices_page = client.get("/factures/").content.decode()
    assert reverse("facturation:pay", args=[invoice.pk]) in invoices_page

    bank = client.post(reverse("facturation:pay", args=[invoice.pk]))
    assert "Mode démonstration" in client.get(bank["Location"]).content.decode()
    back = client.post(bank["Location"], {"choice": "paid"}, follow=True)

    assert "Payée" in visible_text(back)
    assert invoice.balance_cents() == 0
    with override_settings(PORTAIL_PAYMENT_PROVIDER="demo"):
        assert "mode démonstration" in seed()


# Attestations, the CAF's hours and occupancy (issue 26) -------------------------------------

def staff_client() -> Client:
    client = Client()
    client.force_login(User.objects.get(email=STAFF_EMAIL))
    return client


def last_calendar_year() -> int:
    return timezone.localdate().year - 1


def test_the_attestation_fiscale_of_lina_recomputed_by_hand(seeded):
    """Lina (under 6 on 1 January) in shared custody: each household attests what it paid
    itself, its share of childcare: the Wednesday « Journée » less its 20 % of food, the
    after-school care in full, the canteen not at all; a part payment counts pro rata."""
    year = last_calendar_year()
    lina = Child.objects.get(first_name="Lina", last_name="Bernard")
    assert lina.age_on(datetime.date(year, 1, 1)) < 6
    expected = {}
    for family in (lina.family, lina.second_family):
        [invoice] = Invoice.objects.filter(family=family, issued_at__year=year)
        care = 0
        for line in invoice.lines.select_related("activity", "unit"):
            assert line.child == lina
            if line.activity.name == "ALSH mercredi":
                care += line.amount_cents * 80 / 100
            elif line.activity.name == "Accueil périscolaire":
                care += line.amount_cents
        paid = sum(p.amount_cents for p in invoice.payments.filter(received_at__year=year))
        expected[family.name] = int(paid * care / invoice.total_cents + 0.5)
    bernard = Attestation.objects.get(family__name="Famille Bernard", kind="fiscal", year=year)
    petit = Attestation.objects.get(family__name="Famille Petit", kind="fiscal", year=year)
    assert (bernard.state, petit.state) == ("issued", "draft")  # Petit's awaits staff
    assert {"Famille Bernard": bernard.total_cents,
            "Famille Petit": petit.total_cents} == expected
    assert 0 < petit.total_cents < bernard.total_cents  # half paid, no care on its side


def test_the_bernard_household_downloads_its_three_attestations(seeded):
    client = Client()
    client.force_login(User.objects.get(email="bernard@demo.example"))
    page = visible_text(client.get("/attestations/"))
    assert f"Attestation fiscale {last_calendar_year()}" in page
    assert "Attestation de présence de Lina" in page
    assert f"Relevé des paiements {last_calendar_year()}" in page
    for attestation in Attestation.objects.filter(family__name="Famille Bernard"):
        response = client.get(f"/attestations/{attestation.pk}/pdf/")
        assert b"".join(response.streaming_content).startswith(b"%PDF")

    petit = Client()
    petit.force_login(User.objects.get(email="petit@demo.example"))
    response = petit.post("/attestations/", {"kind": "fiscal",
                                             "fiscal-year": last_calendar_year()})
    assert response.status_code == 400
    assert "en cours de vérification par le service" in visible_text(response)


def test_the_caf_export_of_the_demo_month_matches_the_registers(seeded):
    """Hours attended: each presence of the month's registers at its unit's hours (9 h a
    Wednesday), care at its recorded times; hours billed: each billed day at its unit's."""
    year = last_calendar_year()
    [run] = BillingRun.objects.filter(month__year=year)
    presences = Attendance.objects.filter(date__year=year, date__month=run.month.month,
                                          status="present").select_related("unit", "activity")
    attended = Decimal(0)
    for presence in presences:
        if presence.activity.name == "ALSH mercredi":
            attended += 9
        else:  # after school, 16:30 to 18:05: 95 minutes
            assert (presence.arrived_at, presence.left_at) == (datetime.time(16, 30),
                                                               datetime.time(18, 5))
            attended += Decimal(95) / 60
    billed = Decimal(0)
    for line in InvoiceLine.objects.filter(invoice__run=run).select_related("activity"):
        billed += line.quantity * {"ALSH mercredi": 9, "Accueil périscolaire": Decimal("2.5"),
                                   "Restauration scolaire": 0}[line.activity.name]

    response = staff_client().post("/gestion/facturation/invoice/heures-caf/", {
        "period": "month", "month": f"{run.month:%Y-%m}", "file_format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    total = rows[-1]
    assert total[0] == "Total" and total[3] == "1"  # Lina alone
    assert Decimal(total[4].replace(",", ".")) == billed > 0
    assert abs(Decimal(total[5].replace(",", ".")) - attended) < Decimal("0.05")
    assert any(row[:3] == ["ALSH mercredi", "Moins de 6 ans", "MSA"] for row in rows)


def test_the_occupancy_dashboard_has_figures(seeded):
    client = staff_client()
    booked = Slot.objects.filter(activity__name="ALSH mercredi", booked__gt=0,
                                 date__gte=timezone.localdate()).order_by("date").first()
    response = client.get("/gestion/reservations/slot/occupation/",
                          {"semaine": booked.date.isoformat()})
    assert response.status_code == 200
    wednesdays = [x for x in response.context["lines"] if x.activity == "ALSH mercredi"]
    assert wednesdays and wednesdays[0].booked > 0 and wednesdays[0].capacity > 0
    assert response.context["periods"]
    care_day = Attendance.objects.filter(child__first_name="Emma").order_by("-date").first()
    if care_day is not None:  # none when the demo is set up on the school year's first day
        response = client.get("/gestion/reservations/slot/occupation/",
                              {"semaine": care_day.date.isoformat()})
        assert any(x.present for x in response.context["lines"])


def test_the_booking_grid_of_the_full_wednesday_shows_booked_waiting_and_totals(seeded):
    """The front desk's grid (issue 25) on the demo: the ALSH's Wednesday whose outing is full
    shows who is booked, Léa waiting first, and the day's totals."""
    lea = Child.objects.get(first_name="Léa", last_name="Martin")
    full = Slot.objects.get(reservations__child=lea, reservations__state="waiting",
                            activity=activity("ALSH mercredi"))
    response = staff_client().get("/gestion/reservations/reservation/grille/", {
        "activity": full.activity_id, "site": full.site_id, "start": full.date.isoformat()})
    assert response.status_code == 200
    grid = response.context["grid"]
    names = {row.child.first_name for row in grid.rows}
    assert {"Léa", "Jules", "Chloé"} <= names
    states = {(row.child.first_name, cell.state, cell.text) for row in grid.rows
              for cell in row.cells if cell.slot == full}
    assert ("Léa", "waiting", "attente n° 1") in states
    assert {("Jules", "booked", "réservé"), ("Chloé", "booked", "réservé")} <= states
    [column] = [c for c in grid.columns if full in c.slots]
    assert column.waiting == 1 and column.by_group  # places counted by age group


def test_a_family_served_at_the_counter_with_a_letter_to_print(seeded):
    family = Family.objects.get(name="Famille Kerjean")
    assert [g.user for g in family.guardians.all()] == [None]
    letter = Letter.objects.get(family=family)
    assert letter.printed_at is None and "Réinscriptions" in letter.subject
    client = Client()
    client.force_login(User.objects.get(email=STAFF_EMAIL))
    page = visible_text(client.get(f"/gestion/familles/family/{family.pk}/fiche/"))
    assert "courrier" in page and "à imprimer" in page


def test_the_demo_parent_can_justify_an_absence_the_day_the_demo_is_run(seeded, request):
    """« Justifier une absence » is reachable at once: a day of Léa's inside the window."""
    with time_machine.travel(request.node.callspec.params["seeded_once"], tick=False):
        client = Client()
        client.force_login(User.objects.get(email="martin@demo.example"))
        (row,) = justifiable_reservations(Family.objects.get(name="Famille Martin"))
        assert row.child.first_name == "Léa"
        listed = client.get(reverse("reservations:absences"))
        justify = reverse("reservations:justify", args=[row.pk])
        assert justify in listed.content.decode()
        form = client.get(justify)
        assert form.status_code == 200
        assert 'name="reason"' in form.content.decode()
        sent = client.post(justify, {"reason": "illness", "details": ""})
        assert sent.status_code == 302
        assert hasattr(Reservation.objects.get(pk=row.pk), "justification")


def a_monday_in_march() -> datetime.datetime:
    day = datetime.date(school_start() + 1, 3, 10)
    day += datetime.timedelta(days=-day.weekday() % 7)
    return moment(day.year, day.month, day.day, 9)


@pytest.mark.parametrize("when", [
    moment(school_start(), 12, 26, 15),  # Christmas holidays: no canteen day near
    a_monday_in_march(),                 # a Monday morning, after the weekend
], ids=["holidays", "monday"])
def test_the_absence_to_justify_follows_the_day_of_the_run(when):
    with time_machine.travel(when, tick=False):
        seed()
        martin = Family.objects.get(name="Famille Martin")
        found = justifiable_reservations(martin)
        # Hers, and (the module's other seeding left her subscription) maybe one more.
        assert found and {r.child.first_name for r in found} == {"Léa"}
        seed()  # the same day: nothing more
        assert justifiable_reservations(martin) == found


def test_seed_demo_prints_the_address_it_is_given():
    with time_machine.travel(AUTUMN, tick=False):
        out = io.StringIO()
        call_command("seed_demo", "--address", "http://0.0.0.0:8123", stdout=out)
    assert "Portail Famille de démonstration : http://0.0.0.0:8123" in out.getvalue()


def test_make_run_passes_its_host_and_port_to_the_printed_address():
    root = Path(__file__).resolve().parents[2]
    planned = subprocess.run(["make", "-n", "run", "PORT=8123",
                              "HOST=0.0.0.0"], cwd=root, capture_output=True, text=True,
                             check=True).stdout
    assert "seed_demo --address http://0.0.0.0:8123" in planned
    assert "runserver 0.0.0.0:8123" in planned


def test_a_demo_parent_sees_her_booking_summary_at_once(seeded, django_capture_on_commit_callbacks):
    """`make run` runs no beat: the demo commune sends each action's summary right after it
    (tasks run in the request there, as here), printed in the terminal."""
    lea = Child.objects.get(first_name="Léa", last_name="Martin")
    now = timezone.now()
    free = Slot.objects.filter(
        activity__name="ALSH mercredi", activity__school_year__start_date__year=school_start(),
        date__gt=now.date() + datetime.timedelta(days=7), closed=False,
        booked__lt=F("capacity"), site__enrolments__child=lea,
        activity__booking_periods__opens_at__lte=now,
        activity__booking_periods__first_day__lte=F("date"),
        activity__booking_periods__last_day__gte=F("date"),
    ).exclude(age_group__max_age__lt=9).exclude(  # Léa is 9 or more in the demo's year
        date__in=Reservation.objects.filter(child=lea).values("slot__date"),
    ).order_by("date", "unit__position").first()
    client = Client()
    client.force_login(User.objects.get(email="martin@demo.example"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reservations:book"), {"child": lea.pk, "slot": free.pk},
                               HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    [summary] = OutboxMessage.objects.filter(template="reservations_summary",
                                             to__contains=["martin@demo.example"])
    assert "Léa" in summary.subject and ": réservé" in summary.body_text
    assert summary.status == OutboxMessage.Status.SENT  # printed, in `make run`
def test_a_demo_parent_signs_a_mandate_and_staff_download_a_file_with_its_invoice(seeded):
    """Issue 24's « Done when »: the Martin family's mandate is there to see; the Petit
    family signs one online, and staff prepare and download the file that debits it."""
    martin = Client()
    martin.force_login(User.objects.get(email="martin@demo.example"))
    assert "Votre mandat PF-" in visible_text(martin.get("/factures/"))
    petit_family = Family.objects.get(name="Famille Petit")
    owed = list(Invoice.objects.filter(family=petit_family, state=Invoice.State.ISSUED)
                .with_balances().filter(balance__gt=0))
    assert owed
    petit = Client()
    petit.force_login(User.objects.get(email="petit@demo.example"))
    response = petit.post("/factures/prelevement/", {
        "holder_name": "Thomas Petit", "iban": "DE89 3704 0044 0532 0130 00", "consent": "on"})
    assert response.status_code == 302
    assert "DE89 •••• •••• 3000" in visible_text(petit.get("/factures/prelevement/"))

    staff = Client()
    staff.force_login(User.objects.get(email=STAFF_EMAIL))
    form = staff.get(reverse("admin:facturation_debitbatch_add"))
    day = form.context["form"].initial["collection_date"]
    assert staff.post(reverse("admin:facturation_debitbatch_add"),
                      {"collection_date": day.isoformat()}).status_code == 302
    batch = owed[0].debit_items.get().batch
    xml = staff.get(reverse("admin:facturation_debitbatch_download", args=[batch.pk])).content
    assert b"DE89370400440532013000" in xml
    for invoice in owed:
        assert invoice.number.encode() in xml
def test_fair_allocation_published_ready_to_run_and_open(seeded):
    """Issue 28: the workshop's first session published with its seed (Léa Martin can read
    her result and decline a granted day), the second closed with wishes and ready for the
    agent to run, the third open for the demo parent's wishes; the output says so."""
    from reservations import draw
    from reservations.models import Allocation, AllocationEntry, Wish
    from reservations.services import publish_allocation, run_allocation

    now = timezone.now()
    workshop = activity(WORKSHOP)
    first, ready, current = (workshop.booking_periods.get(label=label) for label in SESSIONS)
    assert all(p.allocates and p.draw_commitment for p in (first, ready, current))
    assert "Attribution sur vœux" in seeded

    allocation = Allocation.objects.get(period=first, state="published")
    assert draw.commitment(allocation.seed) == first.draw_commitment
    assert draw.reproduce(allocation.inputs, allocation.seed)[1] == allocation.result_digest
    outcomes = set(AllocationEntry.objects.filter(allocation=allocation)
                   .values_list("outcome", flat=True))
    assert outcomes == {"granted", "waiting"}  # more wishes than places
    martin = User.objects.get(email="martin@demo.example")
    client = Client()
    client.force_login(martin)
    result = client.get(reverse("reservations:wishes", args=[first.pk]))
    assert "Renoncer à ce jour" in visible_text(result)
    assert allocation.seed in visible_text(result)

    assert ready.wishes_close_at <= now < ready.opens_at
    assert Wish.objects.filter(period=ready).values("family").distinct().count() >= 5
    staff = User.objects.get(email=STAFF_EMAIL)
    draft = run_allocation(ready.pk, staff)
    assert publish_allocation(draft.pk, staff).state == "published"

    assert current.wishes_open_at <= now < current.wishes_close_at
    lea = Child.objects.get(first_name="Léa", last_name="Martin")
    assert not Wish.objects.filter(period=current, child=lea).exists()
    page = client.get(reverse("reservations:wishes", args=[current.pk]))
    assert "Enregistrer mes vœux" in visible_text(page)
    assert f'name="voeu" value="{lea.pk}-' in page.content.decode()
    assert "Faire mes vœux" in visible_text(client.get(reverse("home")))
