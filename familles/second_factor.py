"""The staff's second factor: every staff account (staff or superuser) proves a TOTP code
before any admin page opens; parents keep it optional.

allauth (allauth.mfa) does the TOTP itself: enrolment, the code asked at login, recovery
codes. This module only holds the commune's rule on top of it:
- `missing_step(request)` says what a staff session still lacks: a device (enrol) or the code
  of that device in this session (verify);
- the session remembers "this user gave a code of this device" (`mark_passed`), set from
  allauth's public signals when a code is given at login or reauthentication, or when a device
  is enrolled; it names the device, so a device enrolled again after a reset (see
  `reset_second_factor`) must be proven again by every session;
- `reset_second_factor` is the break-glass for a lost device (`manage.py reset_staff_mfa`).
"""

import getpass
import logging

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import User

logger = logging.getLogger(__name__)

ENROL = "enrol"
VERIFY = "verify"
# "<user id>:<device id>": this session gave a code of that device (or enrolled it).
SESSION_KEY = "portail_second_factor"


def is_required(user) -> bool:
    """Every account that can be given access to the admin; parents choose."""
    return user.is_authenticated and (user.is_staff or user.is_superuser)


def device_id(user) -> int | None:
    """The id of the user's TOTP device, or None when he has not enrolled."""
    return (Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP)
            .values_list("pk", flat=True).first())


def mark_passed(session, user, device: int | None = None) -> None:
    """Remember in this session that the user gave a code of his current device."""
    device = device or device_id(user)
    if device is not None:
        session[SESSION_KEY] = f"{user.pk}:{device}"


def missing_step(request) -> str | None:
    """What the logged-in user must still do before the admin opens: ENROL a device, VERIFY
    a code of it in this session, or nothing (None, also for anyone it is not required of)."""
    user = request.user
    if not is_required(user):
        return None
    device = device_id(user)
    if device is None:
        return ENROL
    if request.session.get(SESSION_KEY) != f"{user.pk}:{device}":
        return VERIFY
    return None


# --- receivers of allauth's public signals (connected in apps.py) ---------------------------


def on_authentication_step(sender, request, method, user, **kwargs):
    """allauth.account.signals.authentication_step_completed: a code (TOTP or recovery code)
    given at login or at reauthentication."""
    if method == "mfa":
        mark_passed(request.session, user)


def on_authenticator_added(sender, request, user, authenticator, **kwargs):
    """allauth.mfa.signals.authenticator_added: enrolling a device takes one of its codes."""
    if authenticator.type == Authenticator.Type.TOTP:
        mark_passed(request.session, user, authenticator.pk)


def add_totp_device(user, secret: str) -> Authenticator:
    """An active TOTP device with a known base32 secret, stored as allauth stores it (through
    its public `encrypt` hook). For the demo's staff and the tests' staff; a real staff member
    enrols through allauth's page, which draws the secret."""
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)})


@transaction.atomic
def reset_second_factor(email: str, operator: str = "") -> int:
    """Break-glass for a staff member who lost his device: remove every authenticator of the
    account (device, recovery codes), so that his next login leads him to enrol again; every
    session that gave a code of the old device must give one of the new. Returns how many
    were removed; refuses an unknown address or a parent's account."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError(
            _("Aucun compte n’a l’adresse «\u00a0%(email)s\u00a0».") % {"email": email})
    if not (user.is_staff or user.is_superuser):
        raise ValidationError(
            _("«\u00a0%(email)s\u00a0» n’est pas un compte de l’équipe\u00a0: la double "
              "authentification des familles est facultative et se gère depuis leur espace.")
            % {"email": user.email})
    removed, _by_model = Authenticator.objects.filter(user=user).delete()
    logger.warning("Staff second factor reset: %s, %d authenticator(s) removed, by %s",
                   user.email, removed, operator or _operator())
    return removed


def _operator() -> str:
    """Who ran the command, for the log (the system account; unknown in a bare container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
