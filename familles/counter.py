"""Families served at the counter (« au guichet »): staff create the household, its guardians
(an e-mail address is optional: without one, the guardian has no login and the household
receives letters to print), its children; later, a guardian is invited to claim his access.

The claim link is a Django password-reset token of its own kind (another salt: a claim token
is no reset token, nor the reverse). It expires with PASSWORD_RESET_TIMEOUT and serves once:
the token hashes the account's password, which setting one changes."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from ground import french
from ground.models import OutboxMessage
from ground.outbox import queue_email

from . import journal
from .models import Child, Family, FamilyEvent, Guardian
from .names import name_from_surnames
from .services import MAX_GUARDIANS, release_unverified_claims, upload_document


class ClaimTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "familles.counter.ClaimTokenGenerator"


claim_tokens = ClaimTokenGenerator()


def _full_address(family: dict) -> bool:
    return all((family.get(field) or "").strip() for field in ("address", "postal_code", "city"))


def check_email_free(email: str) -> str:
    """The address, normalised, if no account of the portal uses it yet."""
    email = (email or "").strip().lower()
    if not email:
        return ""
    taken = (get_user_model().objects.filter(email__iexact=email).exists()
             or EmailAddress.objects.filter(email__iexact=email, verified=True).exists())
    if taken:
        raise ValidationError(
            _("L'adresse %(email)s est déjà celle d'un compte du portail : cette personne a "
              "déjà un accès (cherchez sa famille) ou une autre adresse doit être saisie.")
            % {"email": email})
    return email


def _check_guardian(data: dict, family: dict) -> None:
    if not (data.get("first_name") or "").strip() or not (data.get("last_name") or "").strip():
        raise ValidationError(_("Indiquez le prénom et le nom de chaque responsable légal."))
    phones = [data.get(f) for f in ("mobile_phone", "home_phone", "work_phone")]
    if not any((p or "").strip() for p in phones) and not _full_address(family):
        raise ValidationError(
            _("Pour joindre %(name)s, indiquez un numéro de téléphone ou l'adresse complète "
              "de la famille.") % {"name": f"{data['first_name']} {data['last_name']}"})


def _account(email: str):
    """A login for this address, without a usable password until its owner claims it."""
    user = get_user_model().objects.create_user(email=email, password=None)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


@transaction.atomic
def create_family_at_counter(agent, *, family: dict, guardians: list[dict],
                             children: list[dict] = (), channel=None,
                             invite_url_builder=None) -> Family:
    """The household, its guardians (each dict may hold an "email"), and its children, at once
    or not at all. Recorded in the family's journal as done by the agent. With
    `invite_url_builder`, each guardian given an e-mail is sent his link to claim the access."""
    channel = channel or FamilyEvent.Channel.COUNTER
    guardians = [dict(g) for g in guardians if any((v or "").strip() if isinstance(v, str)
                                                   else v for v in g.values())]
    if not guardians:
        raise ValidationError(_("Indiquez au moins un responsable légal."))
    if len(guardians) > MAX_GUARDIANS:
        raise ValidationError(_("Une famille compte au plus deux responsables légaux."))
    emails = []
    for data in guardians:
        _check_guardian(data, family)
        data["email"] = check_email_free(data.get("email", ""))
        if data["email"] and data["email"] in emails:
            raise ValidationError(_("Les deux responsables légaux ne peuvent pas partager la "
                                    "même adresse e-mail."))
        emails.append(data["email"])
    family = dict(family)
    name = (family.pop("name", "") or "").strip()
    new_family = Family.objects.create(
        name=name or name_from_surnames(g["last_name"] for g in guardians),
        name_set_by_staff=bool(name), **family)
    created = []
    for data in guardians:
        email = data.pop("email")
        created.append(Guardian.objects.create(
            family=new_family, user=_account(email) if email else None, **data))
    for data in children:
        Child.objects.create(family=new_family, **data)
    journal.record(new_family, _("Famille créée par le service"), actor=agent, channel=channel)
    if invite_url_builder is not None:
        for guardian in created:
            if guardian.user is not None:
                _send_claim(agent, guardian, invite_url_builder)
    return new_family


def claim_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("familles:claim", args=[uid, claim_tokens.make_token(user)])


@transaction.atomic
def invite_to_claim(agent, guardian_id: int, email: str, *, url_builder) -> Guardian:
    """Give a guardian served at the counter his own access: the account is created for the
    address given (if he has none yet) and the link to choose his password is e-mailed to it,
    sealed in the outbox (whoever reads it gets the family's account)."""
    guardian = Guardian.objects.select_for_update(of=("self",)).select_related(
        "user", "family").get(pk=guardian_id)
    if guardian.user is not None and guardian.user.has_usable_password():
        raise ValidationError(_("%(name)s a déjà un accès au portail (%(email)s).")
                              % {"name": guardian, "email": guardian.user.email})
    if guardian.user is None:
        email = check_email_free(email)
        if not email:
            raise ValidationError(_("Saisissez l'adresse e-mail %(of_name)s.")
                                  % {"of_name": french.de(guardian)})
        guardian.user = _account(email)
        guardian.save(update_fields=["user"])
    _send_claim(agent, guardian, url_builder)
    return guardian


def _send_claim(agent, guardian: Guardian, url_builder) -> None:
    user = guardian.user
    queue_email("account_claim", user.email, {
        "guardian": guardian, "family": guardian.family,
        "claim_url": url_builder(claim_path(user)),
        "valid_days": max(1, claim_tokens_valid_days()),
    }, content=OutboxMessage.Content.SECRET)
    journal.record(guardian.family,
                   _("Invitation à créer son accès envoyée à %(name)s (%(email)s)")
                   % {"name": guardian, "email": user.email},
                   actor=agent, channel=FamilyEvent.Channel.COUNTER)


def claim_tokens_valid_days() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 86400


def user_for_claim(uidb64: str, token: str):
    """The account this link opens, or None (unknown, expired, already used)."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        # Only a guardian's account is claimed here (one query for both).
        user = get_user_model().objects.filter(pk=int(pk), guardian__isnull=False).first()
    except (TypeError, ValueError, OverflowError):
        return None
    if user is None or not claim_tokens.check_token(user, token):
        return None
    return user


@transaction.atomic
def claim_account(uidb64: str, token: str, password: str):
    """The guardian chooses his password: the link reached his mailbox, so his address is
    verified; the same link never serves again (the token hashes the password)."""
    user = user_for_claim(uidb64, token)
    if user is None:
        raise ValidationError(_("Ce lien n'est plus valable : demandez au service de vous en "
                                "envoyer un nouveau."))
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if not claim_tokens.check_token(user, token):  # the same link, twice at once
        raise ValidationError(_("Ce lien a déjà servi."))
    user.set_password(password)
    user.save(update_fields=["password"])
    address, _created = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True})
    if not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
        release_unverified_claims(address)
    guardian = Guardian.objects.select_related("family").get(user=user)
    # The guardian acted himself: no agent to name.
    journal.record(guardian.family, _("%(name)s a créé son accès au portail") % {
        "name": guardian}, actor=None, channel=FamilyEvent.Channel.ONLINE)
    return user


def upload_for_family(agent, family: Family, *, uploaded, kind: str, child: Child | None,
                      valid_until, channel=None):
    """A paper document handed over at the counter, scanned by the agent: the parents' checked
    upload (familles.uploads, by content), marked as received at the counter, journaled."""
    channel = channel or FamilyEvent.Channel.COUNTER
    # One transaction: the document and its journal line, or neither (the file checked first
    # by the upload itself; a staff upload is not on the opening-morning path).
    with transaction.atomic():
        document = upload_document(family, uploaded=uploaded, kind=kind, child=child,
                                   valid_until=valid_until, user=agent,
                                   received_at_counter=True)
        for_child = f" ({child.first_name})" if child else ""
        # Staff without the health permission read the journal: a health document's kind
        # (« PAI ») would tell them a health matter, so its line does not name it.
        if document.is_health_data:
            summary = _("Document reçu au guichet%(child)s") % {"child": for_child}
        else:
            summary = _("Document « %(kind)s » reçu au guichet%(child)s") % {
                "kind": document.get_kind_display(), "child": for_child}
        try:
            journal.record(family, summary, actor=agent, channel=channel)
        except Exception:
            document.file.delete(save=False)
            raise
    return document
