from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamillesConfig(AppConfig):
    name = "familles"
    verbose_name = _("Familles")

    def ready(self):
        # The staff's second factor follows allauth's public signals (familles/second_factor.py);
        # an address verified releases the unverified claims of other accounts on it.
        from allauth.account.signals import authentication_step_completed, email_confirmed
        from allauth.mfa.signals import authenticator_added

        from . import receivers, second_factor

        authentication_step_completed.connect(second_factor.on_authentication_step,
                                              dispatch_uid="familles-second-factor-step")
        authenticator_added.connect(second_factor.on_authenticator_added,
                                    dispatch_uid="familles-second-factor-added")
        email_confirmed.connect(receivers.release_unverified_claims,
                                dispatch_uid="familles.release_unverified_claims")
