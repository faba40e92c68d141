"""The right to erasure (GDPR art. 17), its services: a guardian asks from « Profil » to
close the account and erase the data; staff with `portail.approve_erasure` approve (the
account closed, everything but the accounting records erased: portail.retention.anonymise,
the same path as an inactive account) or refuse with a reason. Each step is journaled and
e-mailed. docs/donnees-personnelles.md, « Droit à l'effacement »."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from familles import journal
from familles.models import Family, FamilyEvent, User
from ground.models import OutboxMessage
from ground.outbox import queue_email

from . import retention
from .erasure_plan import plan_for
from .models import ErasureRequest

PERMISSION = "portail.approve_erasure"
ALREADY_PENDING = _("Votre demande de fermeture du compte est déjà enregistrée : le service "
                    "l'examine.")


def pending_for(user) -> ErasureRequest | None:
    """The account's request still waiting for the service (« Profil » shows it)."""
    if not user.is_authenticated:
        return None
    return ErasureRequest.objects.filter(requested_by=user,
                                         state=ErasureRequest.State.PENDING).first()


def request_erasure(user, family: Family, *, confirmed: bool, message: str = "") -> ErasureRequest:
    """`user`, a guardian of `family`, asks to close the account; one pending per account."""
    if not confirmed:
        raise ValidationError(_("Cochez la case pour confirmer votre demande."))
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if pending_for(user) is not None:
            raise ValidationError(ALREADY_PENDING)
        try:
            with transaction.atomic():
                request = ErasureRequest.objects.create(
                    family=family, requested_by=user, message=message.strip()[:2000])
        except IntegrityError as exc:  # the constraint, should the lock be bypassed
            raise ValidationError(ALREADY_PENDING) from exc
        # The guardian's name, not the e-mail: the journal stays after the erasure.
        journal.record(family, _("Fermeture du compte de %(name)s et effacement des données "
                                 "demandés.") % {"name": user.guardian},
                       actor=user, channel=FamilyEvent.Channel.ONLINE)
        queue_email("erasure_requested", user.email, {"request": request})
    return request


@transaction.atomic
def cancel_erasure(user, family: Family, request_id) -> ErasureRequest | None:
    """The parent withdraws a pending request: None unless it is theirs (the view: 404)."""
    request = ErasureRequest.objects.select_for_update().filter(
        pk=request_id, requested_by=user, family=family).first()
    if request is None:
        return None
    if not request.is_pending:
        raise ValidationError(_("Cette demande a déjà été examinée par le service."))
    request.state = ErasureRequest.State.CANCELLED
    request.save(update_fields=["state"])
    journal.record(family, _("Demande de fermeture du compte annulée."), actor=user,
                   channel=FamilyEvent.Channel.ONLINE)
    return request


def _pending(request_id, staff) -> ErasureRequest:
    if not staff.has_perm(PERMISSION):
        raise PermissionDenied
    request = ErasureRequest.objects.select_for_update(of=("self",)).select_related(
        "family", "requested_by").filter(pk=request_id).first()
    if request is None or not request.is_pending:
        raise ValidationError(_("Cette demande n'est plus en attente."))
    return request


def _counts(items) -> dict[str, int]:
    return {item.label: item.count for item in items}


@transaction.atomic
def approve_erasure(request_id, staff, *, now=None) -> ErasureRequest:
    """Close the account and erase everything the law does not keep, in one transaction:
    the parent is told at the address before it goes; the family's journal records it."""
    now = now or timezone.now()
    request = _pending(request_id, staff)
    user = request.requested_by
    plan = plan_for(user, now)
    # Its address goes once it is delivered (the account's other e-mails lose it below).
    queue_email("erasure_done", user.email, {"plan": plan},
                content=OutboxMessage.Content.FAREWELL)
    journal.record(request.family, _("Compte d'un responsable fermé et données effacées à sa "
                                     "demande (droit à l'effacement)."),
                   actor=staff, channel=FamilyEvent.Channel.ONLINE)
    retention.anonymise(user.pk, actor=staff, now=now)
    request.state = ErasureRequest.State.DONE
    request.reviewed_by, request.reviewed_at = staff, now
    request.message = ""
    request.outcome = {"household": plan.household, "goes": _counts(plan.goes),
                       "kept": _counts(plan.kept)}
    request.save()
    return request


@transaction.atomic
def refuse_erasure(request_id, staff, reason: str, *, now=None) -> ErasureRequest:
    """Refuse, on grounds the parent is told (the law allows no refusal without one)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif du refus : il est envoyé à la famille."))
    request = _pending(request_id, staff)
    request.state = ErasureRequest.State.REFUSED
    request.reviewed_by, request.reviewed_at = staff, now or timezone.now()
    request.refusal_reason = reason
    request.save()
    journal.record(request.family, _("Demande de fermeture du compte refusée."),
                   actor=staff, channel=FamilyEvent.Channel.ONLINE, reason=reason)
    queue_email("erasure_refused", request.requested_by.email, {"reason": reason})
    return request
