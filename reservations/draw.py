"""The allocation algorithm: plain data in, plain data out, no database (docs/allocation.md).

Version 1, in short:
1. Each child's **class** comes from the commune's priority rules, in order: a child meeting
   every rule is in class 1; the first rule weighs more than all the following together
   (class = 1 + the sum of 2^(n-1-i) over the rules i he does not meet).
2. The **draw**: each requester (the household that wished, when siblings are kept together;
   otherwise each child) gets the number HMAC-SHA256(seed, "portail-famille/allocation/v1/" +
   requester) read as hexadecimal; sorting these numbers gives the draw order, 1 first.
3. A **request** is what one requester asks for one date: the children it wished on that
   date, granted all or none when siblings are kept together. Its class is the best of its
   children's; its preference is the smallest rank of its wishes (unranked last), then date.
4. Classes are served one after the other, best first. Within a class, **rounds**: in each
   round every requester of the class, in draw order (reversed every other round, so that
   the first drawn does not choose first every time), is granted its preferred request that
   still fits in every slot it needs; one request per requester per round. A request that does
   not fit never will (places only decrease): it waits, and a requester with nothing left
   that fits stops.
5. What is not granted waits, on each of its slots, by class, then by the number of days the
   requester was granted in that class (fewer first), then draw order.

`allocate(inputs, seed)` is deterministic: the same inputs and seed give the same result,
byte for byte once `canonical_json` writes it."""

import hashlib
import hmac
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field

VERSION = "1"
DRAW_CONTEXT = "portail-famille/allocation/v1/"
UNRANKED = 1 << 30  # after every rank a family can give


@dataclass(frozen=True)
class SlotPlaces:
    id: int
    date: str  # ISO date: requests are per date
    capacity: int  # free places the run may grant


@dataclass(frozen=True)
class ChildCriteria:
    id: int
    criteria: frozenset[str]  # the priority rules he meets (AllocationRule.Kind values)


@dataclass(frozen=True)
class WishIn:
    child: int
    slot: int
    family: int  # the household that wished
    rank: int | None = None


@dataclass(frozen=True)
class Inputs:
    rules: tuple[str, ...]  # the enabled priority rules, first weighs most
    siblings_together: bool
    slots: tuple[SlotPlaces, ...]
    children: tuple[ChildCriteria, ...]
    wishes: tuple[WishIn, ...]

    def as_data(self) -> dict:
        return {
            "algorithm": VERSION,
            "rules": list(self.rules),
            "siblings_together": self.siblings_together,
            "slots": [{"id": s.id, "date": s.date, "capacity": s.capacity}
                      for s in sorted(self.slots, key=lambda s: s.id)],
            "children": [{"id": c.id, "criteria": sorted(c.criteria)}
                         for c in sorted(self.children, key=lambda c: c.id)],
            "wishes": [{"child": w.child, "slot": w.slot, "family": w.family, "rank": w.rank}
                       for w in sorted(self.wishes, key=lambda w: (w.child, w.slot))],
        }

    @classmethod
    def from_data(cls, data: dict) -> "Inputs":
        if data.get("algorithm") != VERSION:
            raise ValueError(f"algorithm version {data.get('algorithm')!r}, this is {VERSION}")
        return cls(
            rules=tuple(data["rules"]), siblings_together=bool(data["siblings_together"]),
            slots=tuple(SlotPlaces(s["id"], s["date"], s["capacity"]) for s in data["slots"]),
            children=tuple(ChildCriteria(c["id"], frozenset(c["criteria"]))
                           for c in data["children"]),
            wishes=tuple(WishIn(w["child"], w["slot"], w["family"], w["rank"])
                         for w in data["wishes"]))


@dataclass
class WishOut:
    child: int
    slot: int
    granted: bool
    waiting_order: int | None  # on the slot's waiting list, 1 first


@dataclass
class Result:
    classes: dict[int, int]  # child id: class
    draw_numbers: dict[int, int]  # child id: his requester's place in the draw, 1 first
    wishes: list[WishOut] = field(default_factory=list)
    inputs_digest: str = ""
    seed: str = ""

    def as_data(self) -> dict:
        return {
            "algorithm": VERSION,
            "inputs_digest": self.inputs_digest,
            "seed": self.seed,
            "children": [{"id": child, "class": self.classes[child],
                          "draw_number": self.draw_numbers[child]}
                         for child in sorted(self.classes)],
            "wishes": [{"child": w.child, "slot": w.slot, "granted": w.granted,
                        "waiting_order": w.waiting_order}
                       for w in sorted(self.wishes, key=lambda w: (w.child, w.slot))],
        }


def canonical_json(data) -> str:
    """One text for one value: keys sorted, no spaces, ASCII only."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def digest(data) -> str:
    return hashlib.sha256(canonical_json(data).encode("ascii")).hexdigest()


def commitment(seed: str) -> str:
    """What is published before the window opens: the SHA-256 of the secret's hex text."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def child_class(criteria: frozenset[str], rules: tuple[str, ...]) -> int:
    n = len(rules)
    return 1 + sum(1 << (n - 1 - i) for i, rule in enumerate(rules) if rule not in criteria)


def draw_value(seed: str, requester: str) -> str:
    """The requester's number in the draw (64 hex digits): HMAC-SHA256 keyed by the seed."""
    return hmac.new(bytes.fromhex(seed), (DRAW_CONTEXT + requester).encode("ascii"),
                    hashlib.sha256).hexdigest()


@dataclass
class _Request:
    requester: str
    date: str
    wishes: list[WishIn]
    klass: int = 0
    preference: int = UNRANKED
    needs: dict[int, int] = field(default_factory=dict)  # slot id: places


def allocate(inputs: Inputs, seed: str) -> Result:
    slots = {s.id: s for s in inputs.slots}
    criteria = {c.id: c.criteria for c in inputs.children}
    classes = {child: child_class(met, inputs.rules) for child, met in criteria.items()}

    def requester_of(wish: WishIn) -> str:
        return f"family:{wish.family}" if inputs.siblings_together else f"child:{wish.child}"

    requests: dict[tuple[str, str], _Request] = {}
    for wish in sorted(inputs.wishes, key=lambda w: (w.child, w.slot)):
        key = (requester_of(wish), slots[wish.slot].date)
        if not inputs.siblings_together:
            key = (key[0], f"{key[1]}/{wish.slot}")  # each day of a child stands alone
        request = requests.setdefault(key, _Request(key[0], slots[wish.slot].date, []))
        request.wishes.append(wish)
    for request in requests.values():
        request.klass = min(classes[w.child] for w in request.wishes)
        request.preference = min(w.rank or UNRANKED for w in request.wishes)
        for w in request.wishes:
            request.needs[w.slot] = request.needs.get(w.slot, 0) + 1

    requesters = sorted({r.requester for r in requests.values()},
                        key=lambda r: (draw_value(seed, r), r))
    position = {requester: n for n, requester in enumerate(requesters, start=1)}
    remaining = {s.id: s.capacity for s in inputs.slots}
    granted: set[tuple[str, str]] = set()
    granted_days: dict[tuple[str, int], int] = defaultdict(int)  # (requester, class): days

    by_class: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for key, request in requests.items():
        by_class[request.klass][request.requester].append((request.preference, request.date,
                                                           key))
    for klass in sorted(by_class):
        queues = {requester: deque(key for *_order, key in sorted(wanted))
                  for requester, wanted in by_class[klass].items()}
        order = sorted(queues, key=position.__getitem__)
        turn = 0
        while order:
            still = []
            for requester in (order if turn % 2 == 0 else reversed(order)):
                queue = queues[requester]
                while queue:
                    key = queue.popleft()
                    needs = requests[key].needs
                    if all(remaining[slot] >= n for slot, n in needs.items()):
                        for slot, n in needs.items():
                            remaining[slot] -= n
                        granted.add(key)
                        granted_days[requester, klass] += 1
                        break
                if queue:
                    still.append(requester)
            # `still` kept the round's order: draw order again, without sorting.
            order = still if turn % 2 == 0 else still[::-1]
            turn += 1

    waiting: dict[int, list] = defaultdict(list)
    out = []
    for key, request in requests.items():
        for wish in request.wishes:
            item = WishOut(wish.child, wish.slot, key in granted, None)
            out.append(item)
            if not item.granted:
                waiting[wish.slot].append(
                    ((request.klass, granted_days[request.requester, request.klass],
                      position[request.requester], wish.child), item))
    for queue in waiting.values():
        for order_number, (_key, item) in enumerate(sorted(queue, key=lambda q: q[0]),
                                                     start=1):
            item.waiting_order = order_number

    wished = {w.child for w in inputs.wishes}
    draw_numbers: dict[int, int] = {}
    for w in inputs.wishes:  # a child wished by both his households: the better number
        draw_numbers[w.child] = min(position[requester_of(w)],
                                    draw_numbers.get(w.child, len(position)))
    return Result(classes={c: k for c, k in classes.items() if c in wished},
                  draw_numbers=draw_numbers, wishes=out, inputs_digest=digest(inputs.as_data()),
                  seed=seed)


def reproduce(inputs_data: dict, seed: str) -> tuple[str, str]:
    """(the result's canonical JSON, its SHA-256) from frozen inputs and a revealed seed:
    what anyone recomputes to check a published allocation."""
    text = canonical_json(allocate(Inputs.from_data(inputs_data), seed).as_data())
    return text, hashlib.sha256(text.encode("ascii")).hexdigest()
