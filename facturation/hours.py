"""How many hours one presence counts (attestations de présence, the CAF's hours).

Each unit carries its duration (`ActivityUnit.duration_hours`). For before/after-school care
the commune may declare the real hours instead (a commune setting, « heures réelles »):
the arrival and departure times recorded in the register; a presence recorded without both
times then counts its unit's duration."""

from datetime import date, datetime, time
from decimal import Decimal

from ground.commune import commune
from inscriptions.models import Activity

HOUR = Decimal("0.01")


def real_care_hours() -> bool:
    return commune().caf_care_hours == "real"


def presence_hours(kind: str, unit_hours: Decimal, arrived_at: time | None,
                   left_at: time | None) -> Decimal:
    """The hours of one presence, to the hundredth of an hour."""
    if kind == Activity.Kind.CARE and real_care_hours() and arrived_at and left_at:
        minutes = (datetime.combine(date.min, left_at)
                   - datetime.combine(date.min, arrived_at)).total_seconds() // 60
        return (Decimal(int(minutes)) / 60).quantize(HOUR)
    return Decimal(unit_hours).quantize(HOUR)


def hours_text(hours: Decimal) -> str:
    """Decimal("7.50") → "7 h 30" (what a family reads)."""
    minutes = int((Decimal(hours) * 60).to_integral_value())
    whole, rest = divmod(minutes, 60)
    return f"{whole}\u00a0h\u00a0{rest:02d}" if rest else f"{whole}\u00a0h"
