"""allauth hooks: its e-mails go through the outbox like every other message, sealed: each
carries a secret (a reset or verification link or code) or is about an account's security;
staff keep their second factor."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.sites.shortcuts import get_current_site

from portail.models import OutboxMessage
from portail.outbox import queue_message

from . import second_factor


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        request = self.request or allauth_context.request
        # allauth's templates read current_site (site name and domain), as its own send_mail gives.
        ctx = {"request": request, "email": email, "current_site": get_current_site(request),
               **context}
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
    def can_delete_authenticator(self, authenticator):
        """A staff member cannot turn his TOTP device off: the admin requires it. A lost
        device is reset by an administrator (`manage.py reset_staff_mfa`)."""
        return not (authenticator.type == Authenticator.Type.TOTP
                    and second_factor.is_required(authenticator.user))
