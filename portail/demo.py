"""Demo data: a commune like the brochure's, its staff and three families with known logins.

Idempotent: running it again finds what exists and changes nothing. Later capabilities add
their own part (school year, activities…) to `seed()`.
"""

import base64
import datetime
import hashlib
import hmac
import itertools
import struct
import time
from decimal import Decimal

from allauth.account.models import EmailAddress
from dateutil.easter import easter
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from facturation.models import (
    Attestation,
    BillingRule,
    Invoice,
    Mandate,
    Payment,
    Tariff,
    TariffBracket,
)
from facturation.services import attestations, direct_debit
from facturation.services.billing import issue_run, prepare_run
from facturation.services.payments import record_payment
from familles import counter, second_factor
from familles.letters import write_to_family
from familles.models import Child, Contact, Document, Family, Guardian, User
from ground.calendar import (
    days_between,
    month_bounds,
    next_month,
    previous_month,
    public_holiday,
    school_holiday,
)
from ground.commune import commune, update_commune
from ground.models import OutboxMessage
from inscriptions import services as inscriptions
from inscriptions.calendar import activity_days
from inscriptions.models import (
    Activity,
    ActivityUnit,
    AnnualFile,
    ClosureDay,
    Enrolment,
    SchoolLevel,
    SchoolYear,
    Site,
)
from reservations import services as reservations
from reservations.deadlines import justification_deadline, slot_deadline
from reservations.models import (
    AgeGroup,
    Attendance,
    BookingPeriod,
    CapacityRule,
    DeadlineRule,
    Reservation,
    Slot,
)

from . import erasure, messaging
from .demo_allocation import WORKSHOP, seed_allocation
from .models import ErasureRequest, Message
from .staff import ensure_staff_group

DEMO_PASSWORD = "portail-demo-2026"
STAFF_EMAIL = "agent@mairie.example"
ADMIN_EMAIL = "admin@mairie.example"
# The demo staff's TOTP key (base32), public like their password: the admin requires a second
# factor, and a newcomer adds this key to an authenticator app or runs `manage.py demo_code`.
DEMO_TOTP_SECRET = "PORTAILDEMOKERBRUMEAGENTGESTION2"


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for a base32 key (RFC 6238: HMAC-SHA1, 30 s,
    6 digits), with the standard library: for the demo's key, and for the tests."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter),
                      hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _user(email, *, staff=False, superuser=False):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, is_staff=staff or superuser, is_superuser=superuser)
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _family(name, guardians, children, contacts=()):
    family = Family.objects.filter(name=name).first()
    if family is not None:
        return family, list(family.children.all())
    family = Family.objects.create(name=name, address="3 rue des Mimosas", postal_code="56000",
                                   city="Kerbrume")
    for email, first, last, relation in guardians:
        Guardian.objects.create(user=_user(email), family=family, first_name=first,
                                last_name=last, relation=relation, mobile_phone="06 11 22 33 44")
    kids = [Child.objects.create(family=family, **child) for child in children]
    for contact in contacts:
        Contact.objects.create(family=family, **contact).children.set(kids)
    return family, kids


@transaction.atomic
def seed() -> list[tuple[str, str, str]]:
    if not User.objects.filter(email=STAFF_EMAIL).exists():  # the first run only
        _seed_commune()
    staff = _user(STAFF_EMAIL, staff=True)
    staff.groups.add(ensure_staff_group())
    staff.first_name, staff.last_name = "Agnès", "Le Goff"
    staff.save()
    admin = _user(ADMIN_EMAIL, superuser=True)
    for user in (staff, admin):
        if second_factor.device_id(user) is None:
            second_factor.add_totp_device(user, DEMO_TOTP_SECRET)

    _family(
        "Famille Martin",
        [("martin@demo.example", "Claire", "Martin", Guardian.Relation.MOTHER),
         ("martin.paul@demo.example", "Paul", "Martin", Guardian.Relation.FATHER)],
        [dict(first_name="Léa", last_name="Martin", birth_date=datetime.date(2017, 5, 2),
              sex=Child.Sex.FEMALE, school="École Jules Ferry", school_class="CE2"),
         dict(first_name="Hugo", last_name="Martin", birth_date=datetime.date(2020, 9, 21),
              sex=Child.Sex.MALE, school="École Jules Ferry", school_class="MS")],
        [dict(first_name="Annie", last_name="Martin", relation="grand-mère",
              phone="02 97 11 22 33", can_pick_up=True, emergency_contact=True)],
    )
    _bernard, (noah, *_younger) = _family(  # Lina, born later, joins in _seed_paperwork
        "Famille Bernard",
        [("bernard@demo.example", "Julie", "Bernard", Guardian.Relation.MOTHER)],
        [dict(first_name="Noah", last_name="Bernard", birth_date=datetime.date(2016, 1, 11),
              sex=Child.Sex.MALE, school="École Jules Ferry", school_class="CM1")],
    )
    petit, _ = _family(
        "Famille Petit",
        [("petit@demo.example", "Thomas", "Petit", Guardian.Relation.FATHER)],
        [],
    )
    if noah.second_family_id is None:  # shared custody between the Bernard and Petit homes
        noah.second_family = petit
        noah.save()
    _user("nouveau@demo.example")  # a brand new account: no family yet
    this_year = _seed_annual_files(staff)
    _seed_activities(staff, this_year)
    seed_allocation(staff, this_year, Site.objects.get(name=GOELANDS), _family, _filled_file)
    _seed_absence_to_justify(this_year)
    _seed_direct_debit(staff, this_year)
    _seed_billing(staff, this_year)
    _seed_paperwork(staff, this_year.previous(), this_year)
    _seed_message(staff)
    _seed_counter_family(staff, this_year)
    _seed_erasure_request()

    return [
        ("Agent du service (gestion)", STAFF_EMAIL, DEMO_PASSWORD),
        ("Administrateur", ADMIN_EMAIL, DEMO_PASSWORD),
        ("Famille Martin, deux enfants", "martin@demo.example", DEMO_PASSWORD),
        ("Famille Bernard, garde alternée", "bernard@demo.example", DEMO_PASSWORD),
        ("Famille Petit, garde alternée", "petit@demo.example", DEMO_PASSWORD),
        ("Famille Le Gall, trois enfants inscrits", LE_GALL_EMAIL, DEMO_PASSWORD),
        ("Nouvelle famille, compte sans foyer", "nouveau@demo.example", DEMO_PASSWORD),
    ]


def _seed_erasure_request() -> None:
    """A pending erasure request for the agent to review: Paul Martin's (Claire still uses
    the portal, so the plan closes only his account and the household stays)."""
    paul = User.objects.get(email="martin.paul@demo.example")
    if not ErasureRequest.objects.filter(requested_by=paul).exists():
        erasure.request_erasure(paul, paul.guardian.family, confirmed=True,
                                message="Nous nous séparons : Claire garde le compte du foyer.")


def _seed_commune() -> None:
    """`make run` runs no beat, which sends the booking summaries once a family has been quiet
    for the commune's minutes (10 by default): the demo commune sends each action's summary
    at once, printed in the terminal (reservations/services/summaries.py). Staff may set
    another number in « Paramètres de la commune »; a new run keeps it."""
    row = commune()
    row.booking_summary_minutes = 0
    row.save()


DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _aware(day, hour, minute=0):
    """A local time of the commune on a day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _year(start):
    label = f"{start}-{start + 1}"
    year, _created = SchoolYear.objects.get_or_create(label=label, defaults={
        "start_date": datetime.date(start, 9, 1),
        "end_date": datetime.date(start + 1, 8, 31),
        "reregistration_opens_at": _aware(datetime.date(start, 5, 4), 8, 30),
        "reregistration_deadline": _aware(datetime.date(start, 6, 30), 23, 59),
        "rules_version": f"{start}-1",
    })
    return year


def _document(family, child, kind, name):
    document = Document.objects.filter(family=family, child=child, kind=kind).first()
    if document is None:
        document = Document(family=family, child=child, kind=kind, original_name=name,
                            content_type="application/pdf", size=len(DEMO_PDF))
        document.file.save(name, ContentFile(DEMO_PDF), save=False)
        document.save()
    return document


def _filled_file(child, year, state, staff, **answers):
    """A complete file for the demo, taken through the real services to the given state."""
    annual_file = AnnualFile.objects.filter(child=child, school_year=year).first()
    if annual_file is not None:
        return annual_file
    family = child.family
    annual_file = AnnualFile.objects.create(
        child=child, school_year=year, school=child.school, school_class=child.school_class,
        vaccinations_up_to_date=True,
        vaccination_document=_document(family, child, Document.Kind.VACCINATION,
                                       f"vaccins-{child.first_name.lower()}.pdf"),
        income_document=_document(family, None, Document.Kind.TAX_NOTICE,
                                  "avis-imposition.pdf"),
        allowance_number="1234567", photo_consent=True, outings_consent=True,
        emergency_care_consent=True, rules_version_accepted=year.rules_version,
        rules_accepted_at=year.reregistration_opens_at, **answers,
    )
    annual_file.authorised_contacts.set(family.contacts.all())
    guardian = family.guardians.first()
    annual_file = inscriptions.submit(family, annual_file, guardian.user)
    if state == AnnualFile.State.VALIDATED:
        annual_file = inscriptions.validate(annual_file, staff)
    return annual_file


DEMO_MESSAGE_SUBJECT = "Menus de la restauration scolaire : nouveautés"


def _seed_message(staff):
    """A message to the families of the École Jules Ferry (the Martins, and Noah's two
    households in shared custody), sent and written as staff and the worker do: on their
    dashboards under « Messages du service »."""
    if Message.objects.filter(subject=DEMO_MESSAGE_SUBJECT).exists():
        return
    message = messaging.save_draft(Message(
        kind=Message.Kind.MENU, subject=DEMO_MESSAGE_SUBJECT,
        body="Bonjour,\n\nÀ partir de ce mois-ci, un repas végétarien est servi chaque jeudi "
             "à la cantine. Les menus du mois sont affichés à l'entrée de l'école et à "
             "l'accueil de la mairie.\n\nBonne journée.",
        audience=Message.Audience.SCHOOL, school="École Jules Ferry"), staff)
    messaging.send_message(message.pk, staff)
    messaging.write_message(message.pk)  # the worker's part, so that no worker is needed


def _seed_annual_files(staff):
    today = timezone.localdate()
    current_start = today.year if today.month >= 9 else today.year - 1
    last_year, this_year = _year(current_start - 1), _year(current_start)
    martin = Family.objects.get(name="Famille Martin")
    lea, hugo = martin.children.order_by("birth_date")
    noah = Child.objects.get(first_name="Noah", last_name="Bernard")
    _filled_file(lea, last_year, AnnualFile.State.VALIDATED, staff)
    _filled_file(noah, last_year, AnnualFile.State.VALIDATED, staff)
    _filled_file(lea, this_year, AnnualFile.State.VALIDATED, staff)
    _filled_file(hugo, this_year, AnnualFile.State.SUBMITTED, staff)
    if not martin.family_quotients.exists():
        inscriptions.set_family_quotient(
            martin, value=870, valid_from=this_year.start_date, valid_until=this_year.end_date,
            staff_user=staff, source_document=_document(martin, None, Document.Kind.TAX_NOTICE,
                                                        "avis-imposition.pdf"),
        )
    return this_year


# Activities, enrolments and reservations (issues 4 and 5) -----------------------------------

LE_GALL_EMAIL = "legall@demo.example"
TILLEULS, PORT, GOELANDS = "École des Tilleuls", "École du Port", "Centre de loisirs Les Goélands"
SITES = {TILLEULS: "2 rue des Tilleuls", PORT: "1 quai Surcouf",
         GOELANDS: "12 route de la Plage"}
OVER_SIX = "6 ans et plus"


def _summer_start(year) -> datetime.date:
    """The first day of the summer holidays that end the school year."""
    day = datetime.date(year.end_date.year, 6, 15)
    while school_holiday(day) is None and day < year.end_date:
        day += datetime.timedelta(days=1)
    return day


def _holiday_blocks(year) -> list[tuple[str, datetime.date, datetime.date]]:
    """The school holidays of the year, as (name, first day, last day)."""
    named = ((day, school_holiday(day)) for day in days_between(
        year.start_date + datetime.timedelta(days=14), year.end_date))
    blocks = []
    for name, days in itertools.groupby(named, key=lambda pair: pair[1]):
        if name is not None:
            days = [day for day, _name in days]
            blocks.append((name, days[0], days[-1]))
    return blocks


def _activity(year, name, *, kind, sites, units, capacities, deadline=None, age_groups=(),
              **fields):
    """An activity with its units, deadline, age groups and capacities (created once)."""
    activity = Activity.objects.filter(school_year=year, name=name).first()
    if activity is not None:
        return activity, False
    activity = Activity.objects.create(school_year=year, name=name, kind=kind,
                                       days=Activity.DEFAULT_DAYS[kind], **fields)
    activity.sites.set(sites)
    for position, (label, with_meal) in enumerate(units):
        activity.units.create(label=label, with_meal=with_meal, position=position)
    if deadline is not None:
        DeadlineRule.objects.create(activity=activity, **deadline)
    groups = {label: AgeGroup.objects.create(activity=activity, label=label, min_age=low,
                                             max_age=high)
              for label, low, high in age_groups}
    for site, group, capacity in capacities:
        CapacityRule.objects.create(activity=activity, site=site, age_group=groups.get(group),
                                    capacity=capacity)
    return activity, True


def _school_periods(activity, year, now):
    """September–December, open since 10 July; January–summer, opening on 1 December (or,
    when the demo is set up later in the autumn, in a week: still to come)."""
    start = year.start_date.year
    january = datetime.date(start + 1, 1, 1)
    spring_opens = _aware(datetime.date(start, 12, 1), 9)
    if timezone.localdate(now) < january and spring_opens <= now:
        spring_opens = _aware(timezone.localdate(now) + datetime.timedelta(days=7), 9)
    BookingPeriod.objects.create(
        activity=activity, label="De septembre à décembre", first_day=year.start_date,
        last_day=datetime.date(start, 12, 31),
        opens_at=_aware(datetime.date(start, 7, 10), 9))
    BookingPeriod.objects.create(
        activity=activity, label="De janvier aux vacances d'été", first_day=january,
        last_day=_summer_start(year) - datetime.timedelta(days=1), opens_at=spring_opens)


# The brochure: Toussaint 2023 (from Monday 23 October) opened on Monday 25 September.
HOLIDAY_BOOKING_WEEKS = 4


def _holiday_periods(activity, year):
    """One period per school holiday the centre opens in, opening on the Monday four weeks
    before the week of its first day, at 8 h 30 (the brochure's « lundi 25 septembre »)."""
    for name, first, last in _holiday_blocks(year):
        days = activity_days(activity, first, last)
        if not days:
            continue  # e.g. the Ascension bridge, closed
        monday = days[0] - datetime.timedelta(days=days[0].weekday())
        BookingPeriod.objects.create(
            activity=activity, label=name, first_day=first, last_day=last,
            opens_at=_aware(monday - datetime.timedelta(weeks=HOLIDAY_BOOKING_WEEKS), 8, 30))


def _catalogue(year, now) -> dict[str, Activity]:
    sites = {name: Site.objects.get_or_create(name=name, defaults={"address": address})[0]
             for name, address in SITES.items()}
    tilleuls, port, goelands = sites[TILLEULS], sites[PORT], sites[GOELANDS]
    school_days = [0, 1, 3, 4]
    wednesday_noon = {"kind": DeadlineRule.Kind.PREVIOUS_WEEKDAY, "weekday": 2,
                      "time": datetime.time(12, 0)}
    # A closure staff added (before the slots: the day simply has none).
    ascension = easter(year.end_date.year) + datetime.timedelta(days=39)
    ClosureDay.objects.get_or_create(
        school_year=year, date=ascension + datetime.timedelta(days=1), activity=None,
        defaults={"label": "Pont de l'Ascension : services fermés"})

    activities, created = {}, []
    activities["canteen"], new = _activity(
        year, "Restauration scolaire", kind=Activity.Kind.CANTEEN, sites=[tilleuls, port],
        units=[("Repas", True)], weekdays=school_days, allows_subscription=True,
        description="Le repas du midi les jours d'école, sur réservation ou par abonnement.",
        deadline={"kind": DeadlineRule.Kind.WORKING_DAYS_BEFORE, "days": 2,
                  "time": datetime.time(10, 0)},
        capacities=[(tilleuls, None, 120), (port, None, 80)])
    if new:
        _school_periods(activities["canteen"], year, now)
        created.append(activities["canteen"])
    activities["care"], _new = _activity(
        year, "Accueil périscolaire", kind=Activity.Kind.CARE, sites=[tilleuls, port],
        units=[("Matin", False), ("Soir", False)], weekdays=school_days,
        needs_reservation=False, capacities=[],
        description="Avant et après la classe : l'inscription suffit, la présence est "
                    "pointée par l'équipe.")
    activities["alsh_wednesday"], new = _activity(
        year, "ALSH mercredi", kind=Activity.Kind.ALSH_WEDNESDAY, sites=[goelands],
        units=[("Journée", True), ("Matin", False), ("Après-midi avec repas", True)],
        min_age=3, max_age=11, deadline=wednesday_noon,
        age_groups=[("Moins de 6 ans", 3, 5), (OVER_SIX, 6, 11)],
        capacities=[(goelands, "Moins de 6 ans", 16), (goelands, OVER_SIX, 24)],
        description="L'accueil de loisirs du mercredi, à la journée ou à la demi-journée.")
    if new:
        _school_periods(activities["alsh_wednesday"], year, now)
        training = datetime.date(year.end_date.year, 3, 15)
        training += datetime.timedelta(days=(2 - training.weekday()) % 7)
        ClosureDay.objects.create(school_year=year, date=training,
                                  activity=activities["alsh_wednesday"],
                                  label="Formation de l'équipe d'animation")
        created.append(activities["alsh_wednesday"])
    activities["alsh_holidays"], new = _activity(
        year, "ALSH vacances", kind=Activity.Kind.ALSH_HOLIDAYS, sites=[goelands],
        units=[("Journée", True)], min_age=3, max_age=11,
        deadline={"kind": DeadlineRule.Kind.DAYS_BEFORE, "days": 15,
                  "time": datetime.time(12, 0)},
        capacities=[(goelands, None, 40)],
        description="L'accueil de loisirs pendant les vacances scolaires.")
    if new:
        _holiday_periods(activities["alsh_holidays"], year)
        created.append(activities["alsh_holidays"])
    activities["passerelle"], new = _activity(
        year, "Passerelle mercredi", kind=Activity.Kind.PASSERELLE_WEDNESDAY,
        sites=[goelands], units=[("Après-midi", False)], min_age=11, max_age=14,
        validation=Activity.Validation.STAFF, deadline=wednesday_noon,
        capacities=[(goelands, None, 16)],
        description="Pour les 11-14 ans, le mercredi après-midi : la demande est étudiée "
                    "par le service.")
    if new:
        _school_periods(activities["passerelle"], year, now)
        created.append(activities["passerelle"])
    for activity in created:
        reservations.generate_slots(activity)
    return activities


def _enrol(family, child, activity, site_name, user):
    """A parent's request through the real service; None if the child cannot enrol (the demo
    ages with the calendar: a child may outgrow an activity)."""
    try:
        return inscriptions.request_enrolment(family, child.pk, activity,
                                              activity.sites.get(name=site_name), user)
    except ValidationError:
        return None


def _open_wednesdays(activity, now) -> list[Slot]:
    """The ALSH's "Journée" slots of the over-6s that can still be booked, in date order."""
    first = reservations.first_open_day(activity, now)
    opened = list(BookingPeriod.objects.filter(activity=activity, opens_at__lte=now))
    slots = Slot.objects.filter(activity=activity, unit__label="Journée",
                                age_group__label=OVER_SIX, date__gte=first,
                                closed=False).order_by("date")
    return [s for s in slots if any(p.first_day <= s.date <= p.last_day for p in opened)]


def _seed_activities(staff, year):
    now = timezone.now()
    activities = _catalogue(year, now)
    if Enrolment.objects.filter(activity__school_year=year).exists():
        return  # enrolments and bookings were made by an earlier run
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    _seed_enrolments(staff, year, activities, now)
    # In the demo's story these e-mails went out when the families acted: recorded in the
    # outbox as sent, not printed again in the terminal above the logins.
    OutboxMessage.objects.filter(pk__gt=last_message or 0,
                                 status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=now)


def _seed_enrolments(staff, year, activities, now):
    martin = Family.objects.get(name="Famille Martin")
    lea = martin.children.order_by("birth_date").first()

    # A family whose files are validated: the children who fill the Wednesdays.
    start = year.start_date.year
    le_gall, kids = _family(
        "Famille Le Gall",
        [(LE_GALL_EMAIL, "Maëlle", "Le Gall", Guardian.Relation.MOTHER)],
        [dict(first_name="Chloé", last_name="Le Gall", birth_date=datetime.date(start - 11, 8, 20),
              sex=Child.Sex.FEMALE, school="Collège Anita Conti", school_class="6e B"),
         dict(first_name="Jules", last_name="Le Gall", birth_date=datetime.date(start - 8, 6, 2),
              sex=Child.Sex.MALE, school=PORT, school_class="CE2"),
         dict(first_name="Emma", last_name="Le Gall", birth_date=datetime.date(start - 5, 2, 20),
              sex=Child.Sex.FEMALE, school=PORT, school_class="GS")],
        [dict(first_name="Soizic", last_name="Le Gall", relation="tante",
              phone="06 45 45 45 45", can_pick_up=True, emergency_contact=True)],
    )
    chloe, jules, emma = sorted(kids, key=lambda c: c.birth_date)
    answers = {  # what the team reads in registers and exports
        chloe: {"school_level": SchoolLevel.SIXIEME, "diet": AnnualFile.Diet.NO_PORK},
        jules: {"school_level": SchoolLevel.CE2, "allergies": "Arachide et fruits à coque"},
        emma: {"school_level": SchoolLevel.GS},
    }
    for child in kids:
        _filled_file(child, year, AnnualFile.State.VALIDATED, staff, **answers[child])
    parent = le_gall.guardians.first().user
    martin_parent = martin.guardians.order_by("pk").first().user
    alsh = activities["alsh_wednesday"]

    canteen = _enrol(martin, lea, activities["canteen"], TILLEULS, martin_parent)
    _enrol(martin, lea, alsh, GOELANDS, martin_parent)
    _enrol(le_gall, jules, activities["canteen"], PORT, parent)
    _enrol(le_gall, emma, activities["care"], PORT, parent)
    for child in (chloe, jules, emma):
        _enrol(le_gall, child, alsh, GOELANDS, parent)
    _enrol(le_gall, chloe, activities["passerelle"], GOELANDS, parent)  # staff decide

    if canteen is not None:  # Léa eats at the canteen on Mondays, Tuesdays and Thursdays
        reservations.subscribe(martin, canteen.pk, [0, 1, 3], martin_parent, now=now)

    wednesdays = _open_wednesdays(alsh, now)
    if len(wednesdays) >= 2:
        # The first open Wednesday is an outing with few places: full, Léa waits for one;
        # the next has one place left.
        full, almost = wednesdays[0], wednesdays[1]
        reservations.set_capacity(full.pk, 2, staff, now=now)
        reservations.set_capacity(almost.pk, 3, staff, now=now)
        for child in (jules, chloe):
            reservations.book(le_gall, child.pk, [full.pk, almost.pk], parent, now=now,
                              notify=False)
        reservations.book(martin, lea.pk, [full.pk] + [s.pk for s in wednesdays[2:4]],
                          martin_parent, join_waiting_list=True, now=now, notify=False)



def _seed_absence_to_justify(year):
    """Léa Martin booked at the canteen on a day whose deadline has passed and whose absence
    can still be justified (the commune's 48 h), relative to the day the demo is run: the
    brochure's « Justifier une absence » can be tried at once. Run again a later day, it
    books a newer one; the same day, nothing."""
    now = timezone.now()
    martin = Family.objects.get(name="Famille Martin")
    if reservations.justifiable_reservations(martin, now=now):
        return
    lea = martin.children.get(first_name="Léa")
    canteen = Activity.objects.filter(school_year=year, name="Restauration scolaire").first()
    enrolment = Enrolment.objects.filter(child=lea, activity=canteen).first()
    if enrolment is None:
        return
    today = timezone.localdate(now)
    days = [today - datetime.timedelta(days=back) for back in range(3)]
    slots = Slot.objects.filter(activity=canteen, site=enrolment.site_id, date__in=days,
                                closed=False).select_related("activity__deadline_rule")
    fitting = [slot for slot in slots if slot_deadline(slot) <= now
               and now <= justification_deadline(slot.date)]
    if fitting:
        slot = max(fitting, key=lambda slot: slot.date)
    else:
        # No canteen day in the window (school holidays): today's, opened for the demo.
        slot, _created = Slot.objects.get_or_create(
            activity=canteen, unit=canteen.units.get(), site=enrolment.site, date=today,
            age_group=None, defaults={"capacity": 120})
    user = martin.guardians.order_by("pk").first().user
    found = Reservation.objects.filter(child=lea, slot=slot).first()
    if found is not None:
        return  # the family's own request on that day: left as it is
    Reservation.objects.create(
        child=lea, slot=slot, family=martin, state=Reservation.State.CONFIRMED,
        source=Reservation.Source.PARENT, confirmed_at=now, updated_by=user)
    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)

# Tariffs, billing rules and one issued month (issue 6) ---------------------------------------

QF_BOUNDS = (600, 1200, None)  # three brackets of quotient familial, the top one open
# Commune prices in cents per bracket (lowest QF first); outside the commune, one price.
PRICES = {
    ("Restauration scolaire", "Repas"): ((120, 290, 410), 560),
    ("Accueil périscolaire", "Matin"): ((80, 150, 210), 290),
    ("Accueil périscolaire", "Soir"): ((120, 220, 310), 420),
    ("ALSH mercredi", "Journée"): ((450, 950, 1450), 1900),
    ("ALSH mercredi", "Matin"): ((200, 420, 650), 850),
    ("ALSH mercredi", "Après-midi avec repas"): ((350, 700, 1050), 1400),
    ("ALSH vacances", "Journée"): ((500, 1050, 1600), 2100),
    ("Passerelle mercredi", "Après-midi"): ((200, 400, 600), 800),
    (WORKSHOP, "Après-midi"): ((250, 500, 750), 1000),
}
SIBLING_REDUCTION = {"ALSH mercredi": 10, "ALSH vacances": 10}
# (bills unjustified absences, bills late cancellations)
RULES = {"Restauration scolaire": (True, True), "Accueil périscolaire": (True, True),
         "ALSH mercredi": (True, True), "ALSH vacances": (True, True),
         "Passerelle mercredi": (False, True), WORKSHOP: (True, True)}


def _seed_billing(staff, year):
    for activity in Activity.objects.filter(school_year=year).prefetch_related("units"):
        if activity.name in RULES:
            unjustified, late = RULES[activity.name]
            BillingRule.objects.get_or_create(activity=activity, defaults={
                "bill_unjustified_absence": unjustified, "bill_late_cancellation": late})
        for unit in activity.units.all():
            prices = PRICES.get((activity.name, unit.label))
            if prices is None or Tariff.objects.filter(unit=unit).exists():
                continue
            tariff = Tariff.objects.create(
                unit=unit, valid_from=year.start_date,
                sibling_reduction_percent=SIBLING_REDUCTION.get(activity.name, 0))
            commune_prices, outside = prices
            TariffBracket.objects.bulk_create(
                TariffBracket(tariff=tariff, qf_max=bound, price_cents=price,
                              outside_price_cents=outside)
                for bound, price in zip(QF_BOUNDS, commune_prices, strict=True))
    _seed_issued_month(staff, year)


def _seed_issued_month(staff, year):
    """Léa Martin's canteen meals of the month just ended, invoiced and issued, so that the
    family's dashboard and the staff's invoice list have something to show. Only when that
    month is in the school year (not in September) and the family has no invoice yet."""
    martin = Family.objects.get(name="Famille Martin")
    if Invoice.objects.filter(family=martin).exists():
        return
    now = timezone.now()
    month = previous_month(timezone.localdate(now))
    lea = martin.children.order_by("birth_date").first()
    slots = list(Slot.objects.filter(
        activity__school_year=year, activity__name="Restauration scolaire",
        site__name=TILLEULS, date__year=month.year, date__month=month.month,
        date__week_day__in=[2, 3, 5],  # Monday, Tuesday, Thursday (Sunday is 1)
        date__gte=year.start_date, closed=False,
    ).exclude(reservations__child=lea).order_by("date"))
    if not slots:
        return
    confirmed = timezone.make_aware(datetime.datetime.combine(
        month - datetime.timedelta(days=20), datetime.time(20, 0)))
    Reservation.objects.bulk_create(
        Reservation(child=lea, slot=slot, family=martin, state=Reservation.State.CONFIRMED,
                    source=Reservation.Source.PARENT, confirmed_at=confirmed,
                    updated_by=martin.guardians.order_by("pk").first().user)
        for slot in slots)
    Slot.objects.filter(pk__in=[slot.pk for slot in slots]).update(booked=F("booked") + 1)
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    try:
        run = prepare_run(month, staff, now=now)
    except ValidationError:  # a tariff missing from the demo's table: no invoice then
        return
    run.invoices.exclude(family=martin).delete()  # the demo issues the Martin family's only
    issue_run(run.pk, staff, now=now)
    OutboxMessage.objects.filter(pk__gt=last_message or 0,
                                 status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=now)


# Attestations, the CAF's hours and occupancy (issue 26) -------------------------------------

# (food part of the price in %, or None: the canteen's 100 %, others 0 %; hours per unit)
UNIT_FACTS = {
    ("Restauration scolaire", "Repas"): (None, "0"),
    ("Accueil périscolaire", "Matin"): (0, "1"),
    ("Accueil périscolaire", "Soir"): (0, "2.5"),
    ("ALSH mercredi", "Journée"): (20, "9"),
    ("ALSH mercredi", "Matin"): (0, "4"),
    ("ALSH mercredi", "Après-midi avec repas"): (30, "5.5"),
    ("ALSH vacances", "Journée"): (20, "9"),
    ("Passerelle mercredi", "Après-midi"): (0, "4"),
}
# When each unit is held: a child cannot hold two that meet on one day (a Wednesday's
# « Journée » and « Matin », or the ALSH afternoon and the Passerelle).
UNIT_HOURS = {
    ("Restauration scolaire", "Repas"): ("11:45", "13:30"),
    ("Accueil périscolaire", "Matin"): ("07:30", "08:30"),
    ("Accueil périscolaire", "Soir"): ("16:30", "18:30"),
    ("ALSH mercredi", "Journée"): ("08:30", "17:30"),
    ("ALSH mercredi", "Matin"): ("08:30", "12:00"),
    ("ALSH mercredi", "Après-midi avec repas"): ("12:00", "17:30"),
    ("ALSH vacances", "Journée"): ("08:30", "17:30"),
    ("Passerelle mercredi", "Après-midi"): ("13:30", "17:30"),
}
LINA = {"first_name": "Lina", "last_name": "Bernard"}


def _unit_facts(year):
    for (activity, label), (food, hours) in UNIT_FACTS.items():
        start, end = (datetime.time.fromisoformat(t) for t in UNIT_HOURS[activity, label])
        ActivityUnit.objects.filter(activity__school_year=year, activity__name=activity,
                                    label=label).update(food_percent=food,
                                                        duration_hours=Decimal(hours),
                                                        starts_at=start, ends_at=end)


def _history_month(last_year) -> tuple[int, datetime.date]:
    """The calendar year just ended, and one of its months in last school year."""
    year = timezone.localdate().year - 1
    return year, datetime.date(year, 10 if last_year.start_date.year == year else 3, 1)


def _school_days(month, weekday) -> list[datetime.date]:
    """The month's days of that weekday outside school holidays: 1–15 October is before
    Toussaint and 10–31 March after the winter holidays, in every zone (no need to load the
    holiday calendar of one more year)."""
    first = month.replace(day=1 if month.month == 10 else 10)
    last = month.replace(day=15 if month.month == 10 else 31)
    return [d for d in days_between(first, last)
            if d.weekday() == weekday and public_holiday(d) is None]


def _seed_paperwork(staff, last_year, this_year):
    """Lina Bernard (3, shared custody between the Bernard and Petit homes) went to the
    Wednesday leisure centre and the canteen last school year, each household booking its
    own weeks, and to after-school care (billed to the household of her file). A month of the
    calendar year just ended is invoiced and paid (the Petit home paid half of its invoice):
    the attestations fiscales of that year are drafted, the Bernard one published;
    the Bernard home also has an attestation de présence and its relevé de paiements. Emma Le
    Gall's care presences of the last school days feed the occupancy dashboard and the CAF
    export."""
    _unit_facts(this_year)
    _seed_recent_care(staff, this_year)
    if Child.objects.filter(**LINA).exists():
        return
    bernard = Family.objects.get(name="Famille Bernard")
    petit = Family.objects.get(name="Famille Petit")
    lina = Child.objects.create(
        family=bernard, second_family=petit, **LINA, sex=Child.Sex.FEMALE,
        birth_date=datetime.date(this_year.start_date.year - 5, 4, 14),
        school="École des Tilleuls", school_class="MS")
    # Last year's file, as the service validated it then (the régime counts for the CAF).
    AnnualFile.objects.create(
        child=lina, school_year=last_year, state=AnnualFile.State.VALIDATED,
        submitted_at=last_year.reregistration_opens_at,
        decided_at=last_year.reregistration_opens_at, decided_by=staff, school=lina.school,
        allowance_body=AnnualFile.AllowanceBody.MSA, allowance_number="7654321",
        vaccinations_up_to_date=True, rules_version_accepted=last_year.rules_version,
        rules_accepted_at=last_year.reregistration_opens_at)
    tilleuls, goelands = Site.objects.get(name=TILLEULS), Site.objects.get(name=GOELANDS)
    alsh, _new = _activity(
        last_year, "ALSH mercredi", kind=Activity.Kind.ALSH_WEDNESDAY, sites=[goelands],
        units=[("Journée", True)], min_age=3, max_age=11, capacities=[(goelands, None, 24)])
    canteen, _new = _activity(
        last_year, "Restauration scolaire", kind=Activity.Kind.CANTEEN, sites=[tilleuls],
        units=[("Repas", True)], weekdays=[0, 1, 3, 4], capacities=[(tilleuls, None, 120)])
    care, _new = _activity(
        last_year, "Accueil périscolaire", kind=Activity.Kind.CARE, sites=[tilleuls],
        units=[("Matin", False), ("Soir", False)], weekdays=[0, 1, 3, 4],
        needs_reservation=False, capacities=[])
    _unit_facts(last_year)
    for unit in ActivityUnit.objects.filter(activity__school_year=last_year):
        tariff = Tariff.objects.create(unit=unit, valid_from=last_year.start_date)
        commune_prices, outside = PRICES[(unit.activity.name, unit.label)]
        TariffBracket.objects.bulk_create(
            TariffBracket(tariff=tariff, qf_max=bound, price_cents=price,
                          outside_price_cents=outside)
            for bound, price in zip(QF_BOUNDS, commune_prices, strict=True))
    year, month = _history_month(last_year)
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    _lina_month(lina, month, staff, {"alsh": alsh, "canteen": canteen, "care": care},
                (tilleuls, goelands), bernard, petit)
    issued_on = _aware(next_month(month).replace(day=2), 9)
    run = prepare_run(month, staff, now=issued_on)
    issue_run(run.pk, staff, now=issued_on)
    paid_on = issued_on + datetime.timedelta(days=8)
    for family, method, share in ((bernard, Payment.Method.CHEQUE, 1),
                                  (petit, Payment.Method.CASH, 2)):  # Petit paid half
        invoice = Invoice.objects.get(run=run, family=family)
        record_payment(invoice.pk, method=method, amount_cents=invoice.total_cents // share,
                       received_at=paid_on, staff_user=staff)
    attestations.prepare_fiscal_drafts(year, staff)
    attestations.publish(Attestation.objects.filter(family=bernard, year=year)
                         .values_list("pk", flat=True), staff)
    first, last = month_bounds(month)
    attestations.request_attestation(bernard, Attestation.Kind.PRESENCE, user=staff,
                                     child_id=lina.pk, first=first, last=last)
    attestations.request_attestation(bernard, Attestation.Kind.PAYMENTS, user=staff, year=year)
    OutboxMessage.objects.filter(pk__gt=last_message or 0,
                                 status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now())


def _lina_month(lina, month, staff, activities, sites, bernard, petit):
    """Her Wednesdays and Thursday meals, booked by the household of that week (even ISO
    weeks: Bernard), present except on the month's last Wednesday; after school on Mondays,
    the arrival and departure recorded."""
    tilleuls, goelands = sites
    wednesdays = _school_days(month, 2)
    booked = [(activities["alsh"], goelands, d) for d in wednesdays] + [
        (activities["canteen"], tilleuls, d) for d in _school_days(month, 3)]
    for activity, site, day in booked:
        slot = Slot.objects.create(activity=activity, unit=activity.units.get(), site=site,
                                   date=day, capacity=24, booked=1)
        household = bernard if day.isocalendar().week % 2 == 0 else petit
        reservation = Reservation.objects.create(
            child=lina, slot=slot, family=household, state=Reservation.State.CONFIRMED,
            confirmed_at=_aware(month - datetime.timedelta(days=20), 20),
            updated_by=household.guardians.order_by("pk").first().user)
        if activity == activities["alsh"]:
            absent = day == wednesdays[-1]
            Attendance.objects.create(
                child=lina, activity=activity, unit=slot.unit, site=site, date=day,
                reservation=reservation, recorded_by=staff,
                status=Attendance.Status.ABSENT if absent else Attendance.Status.PRESENT)
    evening = activities["care"].units.get(label="Soir")
    for day in _school_days(month, 0):
        Attendance.objects.create(
            child=lina, activity=activities["care"], unit=evening, site=tilleuls, date=day,
            status=Attendance.Status.PRESENT, arrived_at=datetime.time(16, 30),
            left_at=datetime.time(18, 5), recorded_by=staff)


def _seed_recent_care(staff, year):
    """Emma Le Gall at after-school care the last school days before today (times recorded)."""
    care = Activity.objects.get(school_year=year, name="Accueil périscolaire")
    emma = Child.objects.filter(first_name="Emma", last_name="Le Gall").first()
    if emma is None or Attendance.objects.filter(activity=care).exists():
        return
    site = Site.objects.get(name=PORT)
    today = timezone.localdate()
    days = [d for d in days_between(max(year.start_date, today - datetime.timedelta(days=10)),
                                    today - datetime.timedelta(days=1))
            if d.weekday() in care.weekdays and school_holiday(d) is None
            and public_holiday(d) is None]
    morning, evening = care.units.get(label="Matin"), care.units.get(label="Soir")
    for n, day in enumerate(days):
        Attendance.objects.create(child=emma, activity=care, unit=morning, site=site, date=day,
                                  status=Attendance.Status.PRESENT,
                                  arrived_at=datetime.time(7, 45 + n % 3 * 5),
                                  left_at=datetime.time(8, 35), recorded_by=staff)
        Attendance.objects.create(child=emma, activity=care, unit=evening, site=site, date=day,
                                  status=Attendance.Status.PRESENT,
                                  arrived_at=datetime.time(16, 30),
                                  left_at=datetime.time(17, 40 + n % 2 * 15), recorded_by=staff)


# Direct debit (issue 24) --------------------------------------------------------------------

DEMO_REGIE_IBAN = "FR7630001007941234567890185"  # a treasury account (Banque de France)
DEMO_ICS = "FR72ZZZ123456"
DEMO_MARTIN_IBAN = "FR7630006000011234567890189"


def _seed_direct_debit(staff, year):
    """The commune offers direct debit, and the Martin family signed its paper mandate when it
    registered: its invoice announces the debit, and staff can prepare a collection file
    (« Facturation » → « Remises de prélèvements »). The Petit family has none: a parent can
    sign one online from « Mes factures »."""
    town = commune()
    if not town.sepa_creditor_id:
        update_commune(regie_iban=DEMO_REGIE_IBAN, sepa_creditor_id=DEMO_ICS,
                       payment_methods=[*town.payment_methods, "direct_debit"])
    martin = Family.objects.get(name="Famille Martin")
    if not Mandate.objects.filter(family=martin).exists():
        direct_debit.record_paper_mandate(
            martin, staff, iban=DEMO_MARTIN_IBAN, holder_name="Claire Martin",
            signed_on=min(year.start_date, timezone.localdate()))


def _seed_counter_family(staff, this_year):
    """The Kerjean family was served at the counter: no login, no e-mail. The service's
    message about the campaign waits as a letter to print (« Courriers à imprimer »); its
    page (« Familles » → « Ouvrir la fiche ») shows « courrier » and the journal."""
    if Family.objects.filter(name="Famille Kerjean").exists():
        return
    family = counter.create_family_at_counter(
        staff, family={"address": "12 chemin du Moulin", "postal_code": "56000",
                       "city": "Kerbrume"},
        guardians=[{"first_name": "Maryvonne", "last_name": "Kerjean",
                    "relation": Guardian.Relation.MOTHER, "home_phone": "02 97 44 55 66"}],
        children=[{"first_name": "Erwan", "last_name": "Kerjean",
                   "birth_date": datetime.date(2018, 2, 9), "sex": Child.Sex.MALE,
                   "school": "École Jules Ferry", "school_class": "CE1"}])
    write_to_family("campaign_opening", family, {"school_year": this_year, "family": family})
