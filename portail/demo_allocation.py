"""The demo's fair allocation (issue 28, docs/allocation.md): a Wednesday nature workshop
whose places go by wishes, the commune's rules and a draw, in three periods relative to the
day the demo is run:

- « Stage nature : 1re session », published two days ago with its seed: Léa Martin's result
  (granted days she may still decline, a waiting day), the Le Gall children's and others';
- « Stage nature : 2e session », its window closed an hour ago with the families' wishes:
  the agent runs the draw and publishes it in the admin (« Attributions »);
- « Stage nature : 3e session », its window open for two weeks: the demo parents wish.

Each goes through the real services (commit_draw before the window, submit_wishes during
it, run_allocation and publish_allocation after)."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from familles.models import Child, Family, Guardian
from ground.models import OutboxMessage
from inscriptions import services as inscriptions
from inscriptions.calendar import activity_days
from inscriptions.models import Activity, AnnualFile
from reservations import services as reservations
from reservations.models import AllocationRule, BookingPeriod, DeadlineRule

WORKSHOP = "Stage nature du mercredi"
SESSIONS = ("Stage nature : 1re session", "Stage nature : 2e session",
            "Stage nature : 3e session")
PLACES = 3
WEEKS_PER_SESSION = 3
# Families of the town (and one from outside) whose children fill the workshop.
NEIGHBOURS = [("Famille Morvan", "Yann", "Morvan", "Maël", "56000"),
              ("Famille Guillou", "Anne", "Guillou", "Rose", "56000"),
              ("Famille Tanguy", "Loïc", "Tanguy", "Nolan", "56000"),
              ("Famille Riou", "Gaëlle", "Riou", "Inès", "29000")]
EXPLANATIONS = {
    AllocationRule.Kind.RESIDENT: "Les enfants dont la famille habite la commune passent "
                                  "avant ceux des autres communes.",
    AllocationRule.Kind.SIBLINGS_TOGETHER: "Des frères et sœurs qui demandent le même jour "
                                           "l'obtiennent ensemble, ou aucun.",
    AllocationRule.Kind.BOTH_PARENTS_WORKING: "Les enfants dont les parents travaillent "
                                              "(attestation employeur déposée) passent "
                                              "ensuite.",
    AllocationRule.Kind.STAFF_PRIORITY: "Une priorité fixée par le service (orientation des "
                                        "services sociaux, handicap).",
    AllocationRule.Kind.ATTENDED_LAST_YEAR: "Les enfants venus l'an dernier.",
}


def seed_allocation(staff, year, site, family_factory, filled_file) -> None:
    """Created once: the workshop, its three sessions, the wishes and the published first
    session. `family_factory` and `filled_file` are the demo's own builders."""
    if Activity.objects.filter(school_year=year, name=WORKSHOP).exists():
        return
    now = timezone.now()
    today = timezone.localdate(now)
    for kind, text in EXPLANATIONS.items():
        AllocationRule.objects.filter(kind=kind, explanation="").update(explanation=text)
    activity = Activity.objects.create(
        school_year=year, name=WORKSHOP, kind=Activity.Kind.ALSH_WEDNESDAY,
        days=Activity.DEFAULT_DAYS[Activity.Kind.ALSH_WEDNESDAY], min_age=3, max_age=11,
        description="Un après-midi dehors avec un animateur nature. Peu de places : "
                    "elles sont attribuées sur vœux, selon les règles de la commune et un "
                    "tirage au sort.")
    activity.sites.set([site])
    activity.units.create(label="Après-midi", with_meal=False, position=0)
    activity.capacity_rules.create(site=site, capacity=PLACES)
    DeadlineRule.objects.create(activity=activity, kind=DeadlineRule.Kind.PREVIOUS_WEEKDAY,
                                weekday=2, time=datetime.time(12, 0))
    days = activity_days(activity, today + datetime.timedelta(days=14))
    sessions = [days[i * WEEKS_PER_SESSION:(i + 1) * WEEKS_PER_SESSION] for i in range(3)]
    if any(not session for session in sessions):
        return  # late in the school year: too few Wednesdays left for the story
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    bookers = _children(staff, year, activity, site, family_factory, filled_file)
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    windows = [(now - 20 * day, now - 10 * day, now - 9 * day),   # published two days ago
               (now - 10 * day, now - hour, now + 7 * day),       # closed: ready to run
               (now - day, now + 14 * day, now + 15 * day)]       # open now
    periods = []
    for label, session, (opens, closes, first_come) in zip(SESSIONS, sessions, windows,
                                                           strict=True):
        period = BookingPeriod.objects.create(
            activity=activity, label=label, first_day=session[0], last_day=session[-1],
            mode=BookingPeriod.Mode.ALLOCATION, wishes_open_at=opens, wishes_close_at=closes,
            opens_at=first_come, decline_days=7)
        periods.append(reservations.commit_draw(period.pk, now=opens - hour))
    reservations.generate_slots(activity)
    first, ready, current = periods
    for family, user, child in bookers:
        for period in (first, ready):
            _wish_all(family, user, child, period, period.wishes_open_at + day)
    # In the open session the Le Gall children have wished already; the Martins have not.
    for family, user, child in bookers:
        if family.name == "Famille Le Gall":
            _wish_all(family, user, child, current, now)
    allocation = reservations.run_allocation(first.pk, staff, now=now - 3 * day)
    reservations.publish_allocation(allocation.pk, staff, now=now - 2 * day)
    # The result's e-mails went out two days ago in the story: recorded, not printed.
    OutboxMessage.objects.filter(pk__gt=last_message or 0,
                                 status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=now - 2 * day)


def _wish_all(family, user, child, period, when) -> None:
    slots = list(period.activity.slots.filter(date__range=(period.first_day, period.last_day)))
    reservations.submit_wishes(family, period.pk, [child.pk],
                               [reservations.WishRequest(child.pk, s.pk) for s in slots],
                               user, now=when)


def _children(staff, year, activity, site, family_factory, filled_file):
    """(family, user, child) enrolled in the workshop: Léa Martin, the Le Gall children and
    one child of each neighbouring family (Hugo Martin's file is not validated yet: the page
    tells his parents why he cannot wish)."""
    found = []
    for family in Family.objects.filter(name__in=["Famille Martin", "Famille Le Gall"]):
        user = family.guardians.order_by("pk").first().user
        for child in family.children.all():
            if _enrol(family, child, activity, site, user):
                found.append((family, user, child))
    start = year.start_date.year
    for name, first, last, kid, postal_code in NEIGHBOURS:
        family, (child,) = family_factory(
            name, [(f"{last.lower()}@demo.example", first, last, Guardian.Relation.MOTHER)],
            [dict(first_name=kid, last_name=last, birth_date=datetime.date(start - 7, 3, 14),
                  sex=Child.Sex.MALE if kid in ("Maël", "Nolan") else Child.Sex.FEMALE,
                  school="École du Port", school_class="CE1")])
        Family.objects.filter(pk=family.pk).update(postal_code=postal_code)
        filled_file(child, year, AnnualFile.State.VALIDATED, staff)
        user = family.guardians.get().user
        if _enrol(family, child, activity, site, user):
            found.append((family, user, child))
    return found


def _enrol(family, child, activity, site, user) -> bool:
    """Enrolled and validated (the workshop validates automatically); False when the child's
    file or age keeps him out."""
    try:
        enrolment = inscriptions.request_enrolment(family, child.pk, activity, site, user)
    except ValidationError:  # a file not validated, an age: he simply does not wish
        return False
    return enrolment.state == enrolment.State.VALIDATED
