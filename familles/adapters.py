"""allauth hooks: its e-mails go through the outbox like every other message, sealed (each
carries a secret or is about an account's security); staff keep their second factor; and an
address nobody verified is a claim, not a possession (review, finding 9): it neither blocks its
owner's sign-up nor lets the owner of that mailbox reset the account that typed it."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import SignupForm
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.sites.shortcuts import get_current_site

from ground import sealing
from ground.commune import commune
from ground.links import privacy_url
from ground.models import OutboxMessage
from ground.outbox import queue_message

from . import second_factor


def claimed_only_unverified(email: str) -> bool:
    """True when accounts hold this address only as an unverified second address: nobody
    proved it is theirs, and it is nobody's login."""
    claims = EmailAddress.objects.filter(email__iexact=email)
    return (
        claims.exists()
        and not claims.filter(verified=True).exists()
        and not claims.filter(primary=True).exists()
        and not get_user_model().objects.filter(email__iexact=email).exists()
    )


class PortalSignupForm(SignupForm):
    def validate_unique_email(self, value):
        # allauth counts any address row as taken, and would send "Ce compte existe déjà"
        # instead of creating the account. Typing an address at sign-up proves nothing
        # either, so the other account's claim is released only once this one verifies it
        # (familles.receivers.release_unverified_claims).
        if claimed_only_unverified(value):
            return value
        return super().validate_unique_email(value)


class AccountAdapter(DefaultAccountAdapter):
    def send_password_reset_mail(self, user, email, context):
        # An address the account added but never verified gives nobody its password.
        verified = EmailAddress.objects.filter(user=user, email__iexact=email, verified=True)
        if user.email.lower() != email.lower() and not verified.exists():
            return
        super().send_password_reset_mail(user, email, context)

    def send_mail(self, template_prefix, email, context):
        request = self.request or allauth_context.request
        # allauth's templates read current_site (site name and domain), as its own send_mail gives.
        ctx = {"request": request, "email": email, "current_site": get_current_site(request),
               "privacy_url": privacy_url(), **context}
        message = self.render_mail(template_prefix, email, ctx)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        queue_message(
            to=message.to,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            template=template_prefix,
            content=OutboxMessage.Content.SECRET,
        )


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        """The name an authenticator app shows next to the code: the commune's."""
        return commune().name

    # allauth keeps TOTP keys and recovery seeds as given (its default hook): whoever reads the
    # database, or the admin's authenticator page, could then compute any agent's codes.
    def encrypt(self, text):
        return sealing.seal_text(text, sealing.SECOND_FACTOR)

    def decrypt(self, encrypted_text):
        return sealing.unseal_text(encrypted_text, sealing.SECOND_FACTOR)

    def can_delete_authenticator(self, authenticator):
        """A staff member cannot turn his TOTP device off: the admin requires it. A lost
        device is reset by an administrator (`manage.py reset_staff_mfa`)."""
        return not (authenticator.type == Authenticator.Type.TOTP
                    and second_factor.is_required(authenticator.user))
