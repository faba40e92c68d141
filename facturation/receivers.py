"""Reactions to the reservations app (it cannot import us: data flows one way)."""

from django.utils.translation import gettext as _

from ground import french

from .models import Invoice
from .services.billing import correct_family_month


def credit_accepted_absence(justification, staff_user, now) -> list[str]:
    """An absence accepted after its day was invoiced: the invoice is credited and a
    corrective one issued at once (reservations.extensions). Returns the credited invoice's
    number, or nothing when the day is on no issued invoice (it will simply not be billed)."""
    reservation = justification.reservation
    slot = reservation.slot
    invoice = Invoice.objects.filter(
        family_id=reservation.family_id, month=slot.date.replace(day=1),
        state=Invoice.State.ISSUED, credit_notes__isnull=True).order_by("issued_at").last()
    day = slot.date.isoformat()
    if invoice is None or not any(
            line.child_id == reservation.child_id and line.activity_id == slot.activity_id
            and line.unit_id == slot.unit_id and day in line.dates
            for line in invoice.lines.all()):
        return []
    reason = _("Absence justifiée acceptée après la facture : %(name)s, %(day)s.") % {
        "name": reservation.child.first_name, "day": french.format_day(slot.date, "j F Y")}
    credit_note = correct_family_month(reservation.family_id, slot.date, staff_user, reason,
                                       now=now)
    return [invoice.number] if credit_note is not None else []
