from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamillesConfig(AppConfig):
    name = "familles"
    verbose_name = _("Familles")

    def ready(self):
        from allauth.account.signals import email_confirmed

        from . import receivers

        email_confirmed.connect(receivers.release_unverified_claims,
                                dispatch_uid="familles.release_unverified_claims")
