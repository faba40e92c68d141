"""Prices: the tariff in force on a day, the QF bracket, commune or outside, siblings."""

from decimal import ROUND_HALF_UP, Decimal

from ground.commune import commune

from .models import Tariff


def is_outside_commune(family) -> bool:
    return family.postal_code.strip() not in commune().postal_code_list


def tariffs_by_unit(unit_ids) -> dict[int, list[Tariff]]:
    """Every tariff of these units with its brackets, newest first (two queries)."""
    result: dict[int, list[Tariff]] = {}
    for tariff in Tariff.objects.filter(unit_id__in=unit_ids).prefetch_related(
            "brackets").order_by("unit_id", "-valid_from"):
        result.setdefault(tariff.unit_id, []).append(tariff)
    return result


def tariff_on(tariffs: list[Tariff], day) -> Tariff | None:
    return next((t for t in tariffs if t.valid_from <= day), None)


def bracket_price(tariff: Tariff, qf: int | None, outside: bool) -> int:
    """The unit price in cents for a QF (None: no valid QF: the commune's no-QF bracket)."""
    brackets = list(tariff.brackets.all())  # lowest bound first, the top bracket last
    if qf is None:
        bracket = brackets[-1] if commune().no_qf_bracket == "top" else brackets[0]
    else:
        bracket = next((b for b in brackets if b.qf_max is None or qf <= b.qf_max),
                       brackets[-1])
    return bracket.outside_price_cents if outside else bracket.price_cents


def with_sibling_reduction(price_cents: int, percent: int, rank: int) -> int:
    """The eldest (rank 0) pays the full price; each younger sibling gets the reduction."""
    if rank == 0 or not percent:
        return price_cents
    reduced = Decimal(price_cents) * (100 - percent) / 100
    return int(reduced.quantize(Decimal(1), rounding=ROUND_HALF_UP))
