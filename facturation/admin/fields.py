"""Amounts typed in euros in the facturation admin's forms, stored in cents."""

from decimal import Decimal

from django import forms


def euros_to_cents(value: Decimal) -> int:
    """Decimal("12.34") → 1234, exactly (the form allows two decimals at most)."""
    return int((value * 100).to_integral_exact())


class EurosField(forms.DecimalField):
    """An amount typed in euros ("12,50"), two decimals at most."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 9)
        super().__init__(decimal_places=2, min_value=Decimal("0"), localize=True, **kwargs)
