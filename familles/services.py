"""Every change to family data. Each function runs in a transaction, checks its own rules and
raises ValidationError with a message a parent can read."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ground.commune import commune
from ground.models import OutboxMessage
from ground.outbox import queue_email

from .access import family_of, owned_child
from .letters import write_to_family
from .models import Child, Contact, Document, DocumentAccess, Family, Guardian, Invitation
from .names import current_name, follow_guardians, name_from_surnames
from .uploads import check_upload

MAX_GUARDIANS = 2


def _ensure_not_guardian(user) -> None:
    if Guardian.objects.filter(user=user).exists():
        raise ValidationError(_("Votre compte est déjà rattaché à une famille."))


@transaction.atomic
def create_family(user, *, guardian: dict, family: dict) -> Guardian:
    _ensure_not_guardian(user)
    name = (family.pop("name", "") or "").strip()
    new_family = Family.objects.create(
        name=name or name_from_surnames([guardian["last_name"]]), name_set_by_staff=bool(name),
        **family)
    try:
        with transaction.atomic():
            return Guardian.objects.create(user=user, family=new_family, **guardian)
    except IntegrityError as exc:  # two tabs submitting at once
        raise ValidationError(_("Votre compte est déjà rattaché à une famille.")) from exc


@transaction.atomic
def update_profile(guardian: Guardian, *, guardian_data: dict, family_data: dict) -> Guardian:
    for field, value in guardian_data.items():
        setattr(guardian, field, value)
    guardian.save()
    family = guardian.family
    for field, value in family_data.items():
        setattr(family, field, value)
    # « Profil » changes the surname the family's name is made of: one save, one history row.
    family.name = current_name(family)
    family.save()
    return guardian


def can_invite(family: Family) -> bool:
    return family.guardians.count() < MAX_GUARDIANS


def invitation_email_context(invitation: Invitation, accept_url: str) -> dict:
    """What the invitation e-mail may say: a fixed text around the inviter's verified login
    address, the link and its validity. No name or text the sender typed (his names, his
    family's name) goes into a message sent from the commune's address (review, finding 5)."""
    return {
        "inviter_email": invitation.invited_by.user.email,
        "accept_url": accept_url,
        "valid_days": Invitation.VALID_DAYS,
    }


def _check_invitation_limits(family: Family) -> None:
    """At most PORTAIL_INVITATIONS_OPEN_MAX waiting at once, and PORTAIL_INVITATIONS_PER_DAY
    sent in 24 hours whatever became of them (a cancelled one still counts). The caller holds
    the family's row lock, so two tabs cannot both pass."""
    open_max = settings.PORTAIL_INVITATIONS_OPEN_MAX
    open_count = family.invitations.open().count()
    if open_count >= open_max:
        raise ValidationError(ngettext(
            "Vous avez déjà %(count)s invitation en attente : attendez qu'elle soit acceptée "
            "ou qu'elle expire avant d'en envoyer une autre.",
            "Vous avez déjà %(count)s invitations en attente : attendez qu'elles soient "
            "acceptées ou qu'elles expirent avant d'en envoyer une autre.",
            open_count) % {"count": open_count})
    per_day = settings.PORTAIL_INVITATIONS_PER_DAY
    sent = family.invitations.filter(created_at__gt=timezone.now() - timedelta(days=1)).count()
    if sent >= per_day:
        raise ValidationError(ngettext(
            "Votre famille a déjà envoyé %(count)s invitation en 24 heures : réessayez demain "
            "ou contactez le service.",
            "Votre famille a déjà envoyé %(count)s invitations en 24 heures : réessayez demain "
            "ou contactez le service.",
            sent) % {"count": sent})


@transaction.atomic
def invite_guardian(guardian: Guardian, email: str, *, accept_url_builder) -> Invitation:
    family = Family.objects.select_for_update().get(pk=guardian.family_id)
    email = email.strip().lower()
    if not can_invite(family):
        raise ValidationError(_("Votre famille compte déjà deux responsables légaux."))
    if family.guardians.filter(user__email__iexact=email).exists():
        raise ValidationError(_("Cette personne fait déjà partie de votre famille."))
    if family.invitations.filter(email__iexact=email).open().exists():
        raise ValidationError(
            _("Une invitation a déjà été envoyée à cette adresse : elle est valable %(days)s "
              "jours.") % {"days": Invitation.VALID_DAYS}
        )
    _check_invitation_limits(family)
    invitation = Invitation.objects.create(family=family, email=email, invited_by=guardian)
    accept_url = accept_url_builder(
        reverse("familles:invitation_accept", args=[invitation.token]))
    queue_email("invitation", email, invitation_email_context(invitation, accept_url),
                content=OutboxMessage.Content.SECRET)  # the link lets its reader join the family
    return invitation


@transaction.atomic
def accept_invitation(user, token, *, guardian: dict) -> Guardian:
    invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or not invitation.is_open:
        raise ValidationError(
            _("Cette invitation n'est plus valable. Demandez à l'autre responsable d'en "
              "envoyer une nouvelle.")
        )
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            _("Cette invitation a été envoyée à %(email)s : connectez-vous avec cette adresse.")
            % {"email": invitation.email}
        )
    _ensure_not_guardian(user)
    family = Family.objects.select_for_update().get(pk=invitation.family_id)
    if family.guardians.count() >= MAX_GUARDIANS:
        raise ValidationError(_("Cette famille compte déjà deux responsables légaux."))
    new_guardian = Guardian.objects.create(user=user, family=family, **guardian)
    follow_guardians(family)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return new_guardian


@transaction.atomic
def save_child(family: Family, data: dict, child: Child | None = None) -> Child:
    if child is None:
        child = Child(family=family)
    else:
        owned_child(family, child.pk)
    for field, value in data.items():
        setattr(child, field, value)
    if child.birth_date and child.birth_date > timezone.localdate():
        raise ValidationError(_("La date de naissance ne peut pas être dans le futur."))
    child.save()
    return child


@transaction.atomic
def save_contact(family: Family, data: dict, children, contact: Contact | None = None) -> Contact:
    children = list(children)
    allowed = set(Child.objects.for_family(family).values_list("pk", flat=True))
    if not children:
        raise ValidationError(_("Choisissez au moins un enfant concerné."))
    if any(c.pk not in allowed for c in children):
        raise ValidationError(_("Choisissez parmi les enfants de votre famille."))
    if not (data.get("can_pick_up") or data.get("emergency_contact")):
        raise ValidationError(
            _("Indiquez si cette personne peut venir chercher l'enfant, être appelée en cas "
              "d'urgence, ou les deux.")
        )
    if contact is None:
        contact = Contact(family=family)
    elif contact.family_id != family.pk:
        raise ValidationError(_("Cette personne ne fait pas partie de votre entourage."))
    for field, value in data.items():
        setattr(contact, field, value)
    contact.save()
    contact.children.set(children)
    return contact


@transaction.atomic
def delete_contact(family: Family, contact: Contact) -> None:
    if contact.family_id != family.pk:
        raise ValidationError(_("Cette personne ne fait pas partie de votre entourage."))
    try:
        contact.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("Cette personne figure dans un dossier déjà examiné par le service : "
              "contactez-le pour la retirer.")
        ) from exc


def upload_document(family: Family, *, uploaded, kind: str, child: Child | None,
                    valid_until, user, received_at_counter=False) -> Document:
    # Checked before the transaction: reading a 10 MB file must not hold a connection.
    content_type, name = check_upload(uploaded)
    if child is not None and not Child.objects.for_family(family).filter(pk=child.pk).exists():
        raise ValidationError(_("Choisissez parmi les enfants de votre famille."))
    if valid_until and valid_until < timezone.localdate():
        raise ValidationError(_("Ce document n'est déjà plus valable à cette date."))
    document = Document(
        family=family, child=child, kind=kind, original_name=name,
        content_type=content_type, size=uploaded.size, valid_until=valid_until,
        uploaded_by=user, received_at_counter=received_at_counter,
    )
    with transaction.atomic():
        document.file.save(name, uploaded, save=False)
        try:
            document.save()
        except Exception:
            document.file.delete(save=False)
            raise
    return document


def delete_document(family: Family, document: Document) -> None:
    if document.family_id != family.pk:
        raise ValidationError(_("Ce document n'appartient pas à votre famille."))
    stored = document.file.name
    storage = document.file.storage
    try:
        with transaction.atomic():
            document.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("Ce document est utilisé dans un dossier examiné par le service : il ne peut "
              "pas être supprimé.")
        ) from exc
    # Only once the row is gone for good: a rolled-back delete keeps its file.
    storage.delete(stored)


@transaction.atomic
def release_unverified_claims(email_address) -> int:
    """Once an account has verified an address, no other account keeps it as an unverified
    second address (review, finding 9): the owner proved it, the others only typed it. Their
    pending confirmations go with it. Their owners are not told: it would tell them that the
    person they named has an account here. Returns how many were released."""
    released, _by_model = EmailAddress.objects.filter(
        email__iexact=email_address.email, verified=False, primary=False,
    ).exclude(user_id=email_address.user_id).delete()
    return released


def record_staff_access(document: Document, user) -> None:
    DocumentAccess.objects.create(document=document, user=user)


def readable_document(user, document_id) -> Document | None:
    """The only way out of the vault: the user's family's document, or, for staff allowed to
    (and, for health documents, allowed to see health data), any document, each staff read
    recorded. None when there is nothing for this user; PermissionDenied for staff without
    the permission."""
    family = family_of(user)
    if family is not None:
        document = Document.objects.filter(family=family, pk=document_id).first()
        if document is not None:
            return document
    if not user.is_staff:
        return None
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return None
    if not user.has_perm("familles.view_document") or (
            document.is_health_data and not user.has_perm("familles.view_health_document")):
        raise PermissionDenied
    record_staff_access(document, user)
    return document


# Reminders (run by beat) -----------------------------------------------------------------------

@transaction.atomic
def send_expiry_notices(today=None) -> int:
    """Tell families that a document in their vault is about to expire."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=commune().document_expiry_notice_days)
    documents = (
        Document.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(valid_until__gte=today, valid_until__lte=horizon,
                expiry_notice_sent_at__isnull=True)
        .select_related("family", "child").prefetch_related("family__guardians__user")
    )
    sent = 0
    for document in documents:
        write_to_family("document_expiring", document.family, {"document": document})
        sent += 1
        document.expiry_notice_sent_at = timezone.now()
        document.save(update_fields=["expiry_notice_sent_at"])
    return sent
