"""« Justifier une absence »: the parent's late cancellation reason, and the staff's decision.

The window: a booked day can be cancelled by the parent until the activity's deadline
(`booking.cancel`); from that deadline on, and until `justification_deadline(day)` (48 h
after the end of the day, a commune setting), the parent can only justify
the absence, once per reservation, with a reason and optionally a document from the
family's vault (or uploaded with the form, which files it in the vault).

Billing (read by the invoicing run, which must not guess):
- a confirmed reservation whose `AbsenceJustification.state` is ACCEPTED is NOT billed;
- a confirmed reservation with a REFUSED justification, or with none at all (never
  justified), is billed like a day of presence;
- a SUBMITTED justification is still under review: the invoicing run should wait for the
  decision (or bill and credit later) rather than decide for the staff.
Cancelled reservations are never billed here: a cancellation in time is free, and a late
cancellation by staff carries `Reservation.cancelled_late` for the invoicing to read."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.households import write_to_households
from familles.models import Child, Document, Family
from familles.services import delete_document, upload_document
from ground.commune import commune
from ground.decisions import decide
from ground.models import OutboxMessage

from ..deadlines import (
    deadline_for,
    describe,
    format_moment,
    justification_deadline,
    justification_limit_text,
    slot_deadline,
)
from ..extensions import after_acceptance
from ..models import AbsenceJustification, DeadlineRule, Reservation

# The kinds of vault documents a parent may attach to a justification.
JUSTIFICATION_DOCUMENT_KINDS = (Document.Kind.MEDICAL_CERTIFICATE, Document.Kind.OTHER)


def family_reservations(family: Family):
    """Every reservation of the family's children (shared custody included): the only way a
    parent reaches a reservation."""
    return Reservation.objects.filter(child__in=Child.objects.for_family(family)).select_related(
        "child", "slot__activity__deadline_rule", "slot__unit", "slot__site")


def family_justifications(family: Family):
    return AbsenceJustification.objects.filter(
        reservation__child__in=Child.objects.for_family(family)
    ).select_related("reservation__child", "reservation__slot__activity",
                     "reservation__slot__unit", "document").order_by(
        "-reservation__slot__date", "-submitted_at")


def justification_documents(family: Family, child: Child | None = None):
    """The vault documents a parent may attach: the family's medical certificates and other
    documents, about this child or the whole family."""
    documents = Document.objects.filter(family=family, kind__in=JUSTIFICATION_DOCUMENT_KINDS)
    if child is not None:
        documents = documents.filter(Q(child=child) | Q(child__isnull=True))
    return documents


def justification_refusal(reservation: Reservation, now=None) -> str:
    """Why this reservation's absence cannot be justified now, in the parent's words, or ""."""
    now = now or timezone.now()
    slot = reservation.slot
    if reservation.state != Reservation.State.CONFIRMED:
        return _("Seule une réservation confirmée peut faire l'objet d'une justification "
                 "d'absence (celle-ci est « %(state)s »).") % {
            "state": reservation.get_state_display().lower()}
    if AbsenceJustification.objects.filter(reservation=reservation).exists():
        return _("Une justification a déjà été envoyée pour cette absence.")
    rule = getattr(slot.activity, "deadline_rule", None)
    deadline = slot_deadline(slot)
    if now < deadline:
        return _("Vous pouvez encore annuler cette réservation, sans justificatif, jusqu'au "
                 "%(moment)s (%(rule)s) : annulez-la depuis le calendrier des réservations.") % {
            "moment": format_moment(deadline), "rule": describe(rule)}
    if now > justification_deadline(slot.date):
        return _("Le délai pour justifier cette absence est dépassé : c'était possible "
                 "jusqu'au %(moment)s.") % {"moment": justification_limit_text(slot.date)}
    return ""


def justifiable_reservations(family: Family, now=None) -> list[Reservation]:
    """The family's confirmed reservations whose cancellation deadline has passed and whose
    absence can still be justified (a fixed, small number of queries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # A day more than the window's hours ago can no longer be justified.
    hours = commune().justification_hours
    earliest = today - timedelta(days=(hours + 23) // 24 + 1)
    candidates = family_reservations(family).filter(
        state=Reservation.State.CONFIRMED, justification__isnull=True, slot__date__gte=earliest)
    activity_ids = set(candidates.values_list("slot__activity_id", flat=True).distinct())
    if not activity_ids:
        return []
    rules = {r.activity_id: r for r in DeadlineRule.objects.filter(activity_id__in=activity_ids)}
    reachable = Q(pk__in=[])
    for activity_id in activity_ids:
        last = _last_day_past_deadline(rules.get(activity_id), today, now)
        reachable |= Q(slot__activity_id=activity_id, slot__date__lte=last)
    rows = candidates.filter(reachable).order_by("slot__date", "child__first_name", "pk")
    return [r for r in rows if now <= justification_deadline(r.slot.date)]


def _last_day_past_deadline(rule, today: date, now) -> date:
    """The last day whose booking deadline has passed (deadlines grow with the day)."""
    day = today
    while deadline_for(rule, day + timedelta(days=1)) <= now:
        day += timedelta(days=1)
    return day if deadline_for(rule, day) <= now else day - timedelta(days=1)


def _check_text(reason: str, details: str) -> str:
    if reason not in AbsenceJustification.Reason.values:
        raise ValidationError(_("Choisissez le motif de l'absence."))
    details = (details or "").strip()
    if reason == AbsenceJustification.Reason.OTHER and not details:
        raise ValidationError(_("Précisez le motif de l'absence."))
    return details


def justify_absence(family: Family, reservation_id, *, reason: str, details: str = "",
                    document_id=None, upload=None, user, now=None) -> AbsenceJustification:
    """The parent justifies a booked day's absence, after the cancellation deadline and up to
    48 h after the day. A document is optional: one of the family's vault documents, or a
    file uploaded with the form (checked by content and filed in the vault first, outside
    the transaction, as the dossier administratif does)."""
    now = now or timezone.now()
    reservation = family_reservations(family).filter(pk=reservation_id).first()
    if reservation is None:
        raise ValidationError(_("Cette réservation n'appartient pas à votre famille."))
    details = _check_text(reason, details)
    refusal = justification_refusal(reservation, now)
    if refusal:
        raise ValidationError(refusal)
    if document_id and upload is not None:
        raise ValidationError(_("Choisissez un document de votre espace ou envoyez un fichier, "
                                "pas les deux."))
    document = None
    if document_id:
        document = justification_documents(family, reservation.child).filter(
            pk=document_id).first()
        if document is None:
            raise ValidationError(_("Choisissez un document de votre espace."))
    uploaded = None
    if upload is not None:
        kind = (Document.Kind.MEDICAL_CERTIFICATE
                if reason == AbsenceJustification.Reason.ILLNESS else Document.Kind.OTHER)
        uploaded = document = upload_document(family, uploaded=upload, kind=kind,
                                              child=reservation.child, valid_until=None,
                                              user=user)
    try:
        return _record(reservation.pk, reason, details, document, user, now)
    except ValidationError:
        if uploaded is not None:  # nothing refers to it: do not leave a stray file
            delete_document(family, uploaded)
        raise


def _record(reservation_id, reason, details, document, user, now) -> AbsenceJustification:
    try:
        with transaction.atomic():
            reservation = Reservation.objects.select_for_update(of=("self",)).select_related(
                "child__family", "child__second_family", "slot__activity__deadline_rule",
                "slot__unit").get(pk=reservation_id)
            # Re-checked under the lock: a cancellation or another tab may have come first.
            refusal = justification_refusal(reservation, now)
            if refusal:
                raise ValidationError(refusal)
            justification = AbsenceJustification.objects.create(
                reservation=reservation, reason=reason, details=details, document=document,
                submitted_by=user)
            # It repeats the reason and details: health data, sealed in the outbox.
            _notify(justification, "absence_justification_received",
                    content=OutboxMessage.Content.HEALTH)
            return justification
    except IntegrityError as exc:
        message = _("Une justification a déjà été envoyée pour cette absence.")
        raise ValidationError(message) from exc


def accept_justification(justification_id, staff_user, comment: str = "",
                         now=None) -> AbsenceJustification:
    """Staff accept: the day will not be billed, or, already invoiced, is credited by the
    apps above (reservations.extensions); the family is told which by e-mail."""
    now = now or timezone.now()
    return _decide(justification_id, AbsenceJustification.State.ACCEPTED, staff_user,
                   (comment or "").strip(), now, "absence_justification_accepted",
                   credit=lambda locked: after_acceptance(locked, staff_user, now))


def refuse_justification(justification_id, staff_user, comment: str,
                         now=None) -> AbsenceJustification:
    """Staff refuse, saying why: the day is billed; the family is told by e-mail."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Indiquez à la famille pourquoi la justification est refusée."))
    return _decide(justification_id, AbsenceJustification.State.REFUSED, staff_user, comment,
                   now, "absence_justification_refused")


def _decide(justification_id, state, staff_user, comment, now, template, credit=None):
    return decide(
        AbsenceJustification.objects.select_related(
            "reservation__child__family", "reservation__child__second_family",
            "reservation__slot__activity", "reservation__slot__unit"),
        justification_id, waiting=AbsenceJustification.State.SUBMITTED, state=state,
        staff_user=staff_user, comment=comment, now=now,
        refusal=lambda locked: _("%(what)s : déjà %(state)s.") % {
            "what": locked, "state": locked.get_state_display().lower()},
        notify=lambda locked: _notify(locked, template, credited_invoices=(
            credit(locked) if credit else [])))


def _notify(justification: AbsenceJustification, template: str,
            content=OutboxMessage.Content.ORDINARY, credited_invoices=()) -> None:
    reservation = justification.reservation
    slot = reservation.slot
    write_to_households(template, reservation.child, {
        "justification": justification, "reservation": reservation,
        "child": reservation.child, "slot": slot, "activity": slot.activity,
        "reason": justification.get_reason_display(),
        "credited_invoices": list(credited_invoices),
    }, content=content)
