from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("Réservations")

    def ready(self):
        from inscriptions.extensions import add_enrolment_links
        from inscriptions.signals import enrolment_ended

        from . import receivers, tasks  # noqa: F401  (queued by name: services.summaries)

        enrolment_ended.connect(receivers.on_enrolment_ended,
                                dispatch_uid="reservations.enrolment_ended")
        add_enrolment_links(receivers.subscription_link)
