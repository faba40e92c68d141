"""Who a message to families reaches (reads module of the roof).

Each audience is one statement: the children it concerns (enrolled in an activity or at a
site, booked on a day, at a school, without a submitted dossier) taken to their households,
both of them in shared custody, or the households that owe an invoice. A family is counted
once whatever the number of its children concerned (a set of ids, read with IN subqueries,
never a join that repeats it).
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from facturation.models import Invoice
from familles.models import Child, Family
from inscriptions.models import AnnualFile, Enrolment, SchoolYear
from reservations.models import Reservation

from .models import Message


def families_of_children(children: QuerySet) -> QuerySet:
    """The households of these children (a queryset of Child ids): each child's own, and his
    second one in shared custody."""
    return Family.objects.filter(
        Q(pk__in=Child.objects.filter(pk__in=children).values("family_id"))
        | Q(pk__in=Child.objects.filter(pk__in=children, second_family__isnull=False)
            .values("second_family_id")))


def enrolled_in_activity(activity_id) -> QuerySet:
    """Children with a current enrolment (asked or validated) in the activity."""
    return Enrolment.objects.filter(activity_id=activity_id,
                                    state__in=Enrolment.ACTIVE_STATES).values("child_id")


def enrolled_at_site(site_id, today) -> QuerySet:
    """Children with a current enrolment at the site, in a school year not over."""
    return Enrolment.objects.filter(
        site_id=site_id, state__in=Enrolment.ACTIVE_STATES,
        activity__school_year__end_date__gte=today).values("child_id")


def booked_on(day, activity_id=None) -> QuerySet:
    """Children with a place or a place asked for (waiting list) on that day, in one
    activity or in any."""
    reservations = Reservation.objects.filter(
        slot__date=day, state__in=[Reservation.State.CONFIRMED, Reservation.State.WAITING])
    if activity_id is not None:
        reservations = reservations.filter(slot__activity_id=activity_id)
    return reservations.values("child_id")


def at_school(school: str) -> QuerySet:
    """Children whose school is this one (as families and staff spell it, case aside)."""
    return Child.objects.filter(school__iexact=school.strip()).values("pk")


def without_submitted_file(school_year: SchoolYear) -> QuerySet:
    """Children expected in the year's campaign whose dossier is not sent yet: those with a
    validated dossier the year before, and those who started one this year (the campaign
    reminder's rule, inscriptions/services/reminders.py), less those already sent."""
    expected = Q(annual_files__school_year=school_year)
    previous = school_year.previous()
    if previous is not None:
        expected |= Q(annual_files__school_year=previous,
                      annual_files__state=AnnualFile.State.VALIDATED)
    sent = AnnualFile.objects.filter(school_year=school_year).exclude(
        state__in=AnnualFile.EDITABLE_STATES).values("child_id")
    return Child.objects.filter(expected).exclude(pk__in=sent).values("pk")


def with_unpaid_invoices() -> QuerySet:
    """Households that still owe something on an issued invoice (its payer: the household
    the invoice is made out to)."""
    owing = Invoice.objects.filter(state=Invoice.State.ISSUED).with_balances().filter(
        balance__gt=0).values("family_id")
    return Family.objects.filter(pk__in=owing)


def audience_families(message: Message, today=None) -> QuerySet:
    """The families a message reaches, as a queryset (one statement when evaluated)."""
    today = today or timezone.localdate()
    audience = Message.Audience
    match message.audience:
        case audience.ACTIVITY:
            return families_of_children(enrolled_in_activity(message.activity_id))
        case audience.SITE:
            return families_of_children(enrolled_at_site(message.site_id, today))
        case audience.DAY:
            return families_of_children(booked_on(message.day, message.activity_id))
        case audience.SCHOOL:
            return families_of_children(at_school(message.school))
        case audience.UNPAID:
            return with_unpaid_invoices()
        case audience.FILES_PENDING:
            return families_of_children(without_submitted_file(message.school_year))
    raise ValueError(f"unknown audience {message.audience!r}")


def audience_ids(message: Message, today=None) -> list[int]:
    return list(audience_families(message, today).order_by("pk").values_list("pk", flat=True))


@dataclass
class Preview:
    families: list  # Family, annotated with `with_email` and `without_email` (guardians)
    by_email: int  # families with at least one guardian with an e-mail address (a login)
    by_letter: int  # families with a guardian without one: a letter to print as well

    @property
    def count(self) -> int:
        return len(self.families)


# Seen from his family, a guardian with a login receives e-mails; one served at the counter
# (no login) letters to print (familles/letters.py makes the same choice).
WITH_EMAIL = Q(guardians__user__isnull=False)
WITHOUT_EMAIL = Q(guardians__user__isnull=True)


def preview(message: Message, today=None) -> Preview:
    """The families a message would reach now, by name, with how each is written to: one
    statement."""
    families = list(audience_families(message, today).annotate(
        with_email=Count("guardians", filter=WITH_EMAIL),
        without_email=Count("guardians", filter=WITHOUT_EMAIL),
    ).order_by("name", "pk"))
    return Preview(families=families,
                   by_email=sum(1 for f in families if f.with_email),
                   by_letter=sum(1 for f in families if f.without_email))


def school_names() -> list[str]:
    """The schools children are at, as spelled (the audience form offers them)."""
    return list(Child.objects.exclude(school="").order_by("school").values_list(
        "school", flat=True).distinct())
