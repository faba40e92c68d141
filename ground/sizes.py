"""Sizes as French help texts write them (ground module: imports no app)."""

from django.utils.translation import gettext as _


def human_size(size: int) -> str:
    """A size as the help texts write it ("10 Mo"), not "10,0 Mio": 1 Mo = 1024 × 1024 octets."""
    for unit, scale in ((_("Mo"), 1024 * 1024), (_("Ko"), 1024)):
        if size >= scale:
            number = f"{size / scale:.1f}".removesuffix(".0").replace(".", ",")
            return f"{number}\xa0{unit}"
    return f"{size}\xa0{_('octets')}"
