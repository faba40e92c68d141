"""Allocation's reads (docs/allocation.md): which rules a child meets (what a run freezes),
a household's wishes and published outcome (the parent pages), a run's draft per slot and its
statistics (staff)."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from familles.households import households
from familles.models import Child, Document, Family, Guardian
from ground.commune import commune

from .deadlines import slot_deadline
from .models import (
    Allocation,
    AllocationEntry,
    AllocationPriority,
    AllocationRule,
    Attendance,
    BookingPeriod,
    Reservation,
    Slot,
    WaitingListExit,
    Wish,
)

Kind = AllocationRule.Kind


def rules() -> list[AllocationRule]:
    """The commune's rules, in order (every kind, enabled or not)."""
    return list(AllocationRule.objects.order_by("position", "kind"))


def rules_for_parents() -> list[AllocationRule]:
    """The rules a run applies, in order, with their explanation: shown before wishing."""
    return [rule for rule in rules() if rule.enabled]


def criteria_of(children, period: BookingPeriod) -> dict[int, frozenset[str]]:
    """{child id: the priority rules he meets} for a run of this period, every rule kind
    evaluated (the run keeps the enabled ones). A child in shared custody meets a household
    rule when either of his households does. Five queries whatever the number of children."""
    children = list(children)
    family_ids = {h for child in children for h in households(child)}
    day = period.first_day
    codes = set(commune().postal_code_list)
    resident = set(Family.objects.filter(pk__in=family_ids, postal_code__in=codes)
                   .values_list("pk", flat=True))
    guardians = Counter(Guardian.objects.filter(family_id__in=family_ids)
                        .values_list("family_id", flat=True))
    employment = Counter(Document.objects.filter(
        family_id__in=family_ids, kind=Document.Kind.EMPLOYMENT).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)).values_list("family_id",
                                                                          flat=True))
    # Both parents working: a valid employer certificate per guardian (one for a household
    # with one guardian), up to two.
    working = {f for f in family_ids if employment[f] >= min(max(guardians[f], 1), 2)}
    prioritised = AllocationPriority.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)).filter(
        Q(child__in=[c.pk for c in children]) | Q(family__in=family_ids))
    priority_children, priority_families = set(), set()
    for child_id, family_id in prioritised.values_list("child_id", "family_id"):
        (priority_children.add(child_id) if child_id else priority_families.add(family_id))
    # Last year: present at least once at an activity of the same kind in the school year
    # before (the year ending before this period's activity year starts).
    start = period.activity.school_year.start_date
    attended = set(Attendance.objects.filter(
        child__in=[c.pk for c in children], status=Attendance.Status.PRESENT,
        activity__kind=period.activity.kind,
        date__range=(start - datetime.timedelta(days=366), start - datetime.timedelta(days=1)),
    ).values_list("child_id", flat=True).distinct())
    found = {}
    for child in children:
        homes = set(households(child))
        met = set()
        if homes & resident:
            met.add(Kind.RESIDENT.value)
        if homes & working:
            met.add(Kind.BOTH_PARENTS_WORKING.value)
        if child.pk in priority_children or homes & priority_families:
            met.add(Kind.STAFF_PRIORITY.value)
        if child.pk in attended:
            met.add(Kind.ATTENDED_LAST_YEAR.value)
        found[child.pk] = frozenset(met)
    return found


@dataclass(slots=True)
class PeriodWish:
    """A wish as a run reads it: its ids, rank, and the shared child and slot."""
    child_id: int
    slot_id: int
    family_id: int
    rank: int | None
    child: Child
    slot: Slot


def period_wishes(period: BookingPeriod) -> list[PeriodWish]:
    """Every wish of the period, with child (and his households) and slot, by child then
    slot. Three queries: the wishes as plain values, each child and each slot read once and
    shared by its wishes (a model instance per wish, or a join, was most of a run's time at
    120,000 wishes: docs/performance.md, "Issue 28")."""
    rows = list(Wish.objects.filter(period=period).order_by("child_id", "slot_id")
                .values_list("child_id", "slot_id", "family_id", "rank"))
    children = Child.objects.in_bulk({row[0] for row in rows})
    slots = Slot.objects.select_related(
        "activity__school_year", "unit", "site", "age_group").in_bulk({row[1] for row in rows})
    return [PeriodWish(child, slot, family, rank, children[child], slots[slot])
            for child, slot, family, rank in rows]


def household_wishes(family: Family, period: BookingPeriod) -> list[Wish]:
    """The wishes of the household's children (either household's, in shared custody) in
    the period, by date then child."""
    return list(Wish.objects.filter(period=period).filter(
        Q(child__family=family) | Q(child__second_family=family)).select_related(
        "child", "slot__unit", "slot__site").order_by("slot__date", "child__first_name",
                                                      "slot__unit__position"))


def published(period: BookingPeriod) -> Allocation | None:
    return Allocation.objects.filter(period=period,
                                     state=Allocation.State.PUBLISHED).first()


def decline_until(allocation: Allocation) -> datetime.datetime:
    """Until when a granted day of this published run can be declined (the day's own
    deadline also applies: past it, a day cannot be given to anyone else)."""
    return allocation.published_at + datetime.timedelta(days=allocation.period.decline_days)


@dataclass
class OutcomeLine:
    """One wish's published outcome, as the parent reads it."""

    entry: AllocationEntry
    reservation: Reservation | None  # its reservation now (granted days may be declined)
    waiting_rank: int | None = None  # today's rank on the waiting list, when waiting
    can_decline: bool = False
    decline_until: datetime.datetime | None = None


def household_outcome(family: Family, period: BookingPeriod, now) -> list[OutcomeLine]:
    """The published outcome of the household's children's wishes, with each day's
    reservation as it is now, by date then child; [] before publication. Three queries
    whatever the number of children and days."""
    allocation = published(period)
    if allocation is None:
        return []
    allocation.period = period
    entries = list(AllocationEntry.objects.filter(allocation=allocation).filter(
        Q(child__family=family) | Q(child__second_family=family)).select_related(
        "child", "slot__unit", "slot__site", "slot__activity__deadline_rule")
        .order_by("slot__date", "child__first_name", "slot__unit__position"))
    # A waiting one's rank is its ticket less the tickets ahead that left the list.
    exits = (WaitingListExit.objects.filter(slot_id=OuterRef("slot_id"),
                                            ticket__lt=OuterRef("waiting_ticket"))
             .order_by().values("slot_id").annotate(n=Count("pk")).values("n"))
    reservations = {(r.child_id, r.slot_id): r for r in Reservation.objects.filter(
        child_id__in={e.child_id for e in entries}, slot_id__in={e.slot_id for e in entries})
        .annotate(exits_ahead=Coalesce(Subquery(exits, output_field=IntegerField()), 0))
        .order_by()}
    limit = decline_until(allocation)
    lines = []
    for entry in entries:
        reservation = reservations.get((entry.child_id, entry.slot_id))
        line = OutcomeLine(entry, reservation, decline_until=limit)
        line.can_decline = (entry.outcome == AllocationEntry.Outcome.GRANTED
                            and entry.declined_at is None and reservation is not None
                            and reservation.state == Reservation.State.CONFIRMED
                            and now < limit and now < slot_deadline(entry.slot))
        if reservation is not None and reservation.state == Reservation.State.WAITING:
            line.waiting_rank = reservation.waiting_ticket - reservation.exits_ahead
        lines.append(line)
    return lines


# --- staff: a run's draft and its statistics --------------------------------------------------

@dataclass
class SlotDraft:
    slot: Slot
    granted: list[AllocationEntry] = field(default_factory=list)
    waiting: list[AllocationEntry] = field(default_factory=list)
    excluded: list[AllocationEntry] = field(default_factory=list)

    @property
    def demand(self) -> int:
        return len(self.granted) + len(self.waiting)


def draft_by_slot(allocation: Allocation, slot_id=None) -> list[SlotDraft]:
    """The run's entries per slot (by date, unit, site), or of one slot: granted by class
    then draw number, waiting by their order."""
    drafts: dict[int, SlotDraft] = {}
    entries = AllocationEntry.objects.filter(allocation=allocation)
    if slot_id is not None:
        entries = entries.filter(slot_id=slot_id)
    for entry in entries.select_related(
            "child", "family", "slot__unit", "slot__site").order_by(
            "slot__date", "slot__unit__position", "slot__site__name", "slot_id",
            "waiting_order", "priority_class", "draw_number", "child_id"):
        draft = drafts.setdefault(entry.slot_id, SlotDraft(entry.slot))
        {AllocationEntry.Outcome.GRANTED: draft.granted,
         AllocationEntry.Outcome.WAITING: draft.waiting,
         AllocationEntry.Outcome.EXCLUDED: draft.excluded}[entry.outcome].append(entry)
    return list(drafts.values())


@dataclass
class ClassShare:
    priority_class: int
    children: int
    wished: int
    granted: int

    @property
    def share(self) -> float:
        return self.granted / self.wished if self.wished else 0.0


@dataclass
class Statistics:
    slots: list[tuple[Slot, int, int, int]]  # slot, free places given to the run, demand, granted
    classes: list[ClassShare]
    families: int
    wishes: int
    granted: int
    excluded: int


def statistics(allocation: Allocation) -> Statistics:
    """Demand per slot, fill, share granted per class: what elected officials ask."""
    capacities = {s["id"]: s["capacity"] for s in allocation.inputs["slots"]}
    per_slot: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_class: dict[int, list] = defaultdict(lambda: [set(), 0, 0])
    families, wishes, granted, excluded = set(), 0, 0, 0
    for slot_id, outcome, klass, child_id, family_id in AllocationEntry.objects.filter(
            allocation=allocation).values_list("slot_id", "outcome", "priority_class",
                                               "child_id", "family_id"):
        if outcome == AllocationEntry.Outcome.EXCLUDED:
            excluded += 1
            continue
        wishes += 1
        families.add(family_id)
        is_granted = outcome == AllocationEntry.Outcome.GRANTED
        granted += is_granted
        per_slot[slot_id][0] += 1
        per_slot[slot_id][1] += is_granted
        per_class[klass][0].add(child_id)
        per_class[klass][1] += 1
        per_class[klass][2] += is_granted
    slots = Slot.objects.filter(pk__in=list(capacities)).select_related("unit", "site").order_by(
        "date", "unit__position", "site__name")
    return Statistics(
        slots=[(slot, capacities[slot.pk], *per_slot[slot.pk]) for slot in slots],
        classes=[ClassShare(klass, len(kids), wished, got)
                 for klass, (kids, wished, got) in sorted(per_class.items())],
        families=len(families), wishes=wishes, granted=granted, excluded=excluded)
