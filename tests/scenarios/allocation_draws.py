"""Allocation algorithm inputs built without a database (reservations/draw.py):

- `random_inputs(rng, siblings_together=True, …)`: families of one to three children,
  wishing random days (some ranked) on a few dates, each date with one slot or two (two age
  groups: brothers and sisters may need places on both), scarce places, random criteria.
- `requests_of(inputs)`: what the algorithm treats as one request (a household's children on
  one date, or one child's one slot), rebuilt independently, with its class and needs.
- `seeds(n)`: n fixed seeds (SHA-256 of "seed-0", "seed-1"…): tests over many draws that
  cannot flake."""

import datetime
import hashlib
from dataclasses import dataclass, field

from reservations import draw

RULES = ("resident", "working", "priority")


def seeds(n: int) -> list[str]:
    return [hashlib.sha256(f"seed-{i}".encode()).hexdigest() for i in range(n)]


def random_inputs(rng, *, siblings_together=True, families=30, dates=6, rules=RULES,
                  max_capacity=6) -> draw.Inputs:
    start = datetime.date(2026, 10, 7)
    slots, by_date = [], {}
    next_slot = 1
    for d in range(dates):
        day = (start + datetime.timedelta(weeks=d)).isoformat()
        groups = rng.choice((1, 2))
        by_date[day] = list(range(next_slot, next_slot + groups))
        for _ in range(groups):
            slots.append(draw.SlotPlaces(next_slot, day, rng.randint(0, max_capacity)))
            next_slot += 1
    children, wishes = [], []
    child_id = 1
    for family in range(1, families + 1):
        family_criteria = {r for r in rules if r != "priority" and rng.random() < 0.5}
        for _ in range(rng.choice((1, 1, 2, 3))):
            met = set(family_criteria)
            if rng.random() < 0.1:
                met.add("priority")
            children.append(draw.ChildCriteria(child_id, frozenset(met & set(rules))))
            group = rng.randrange(2)  # his age group: the slot he takes on a date
            for day_slots in by_date.values():
                if rng.random() < 0.6:
                    rank = rng.randint(1, dates) if rng.random() < 0.3 else None
                    wishes.append(draw.WishIn(child_id, day_slots[group % len(day_slots)],
                                              family, rank))
            child_id += 1
    return draw.Inputs(rules=tuple(rules), siblings_together=siblings_together,
                       slots=tuple(slots), children=tuple(children), wishes=tuple(wishes))


@dataclass
class Request:
    requester: str
    wishes: list = field(default_factory=list)
    klass: int = 0
    needs: dict = field(default_factory=dict)


def requests_of(inputs: draw.Inputs) -> list[Request]:
    dates = {s.id: s.date for s in inputs.slots}
    criteria = {c.id: c.criteria for c in inputs.children}
    found: dict[tuple, Request] = {}
    for wish in inputs.wishes:
        if inputs.siblings_together:
            key = (f"family:{wish.family}", dates[wish.slot])
        else:
            key = (f"child:{wish.child}", wish.slot)
        found.setdefault(key, Request(key[0])).wishes.append(wish)
    n = len(inputs.rules)
    for request in found.values():
        request.klass = min(1 + sum(2 ** (n - 1 - i) for i, rule in enumerate(inputs.rules)
                                    if rule not in criteria[w.child]) for w in request.wishes)
        for w in request.wishes:
            request.needs[w.slot] = request.needs.get(w.slot, 0) + 1
    return list(found.values())
