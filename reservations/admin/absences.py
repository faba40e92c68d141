"""Absence justifications: staff accept or refuse them (DecisionAdminMixin); the reason is
health data."""

from django.contrib import admin
from django.db.models import Case, When
from django.urls import path
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from familles.admin import link_to_document
from ground import french
from ground.admin_decisions import DecisionAdminMixin, RefuseForm
from ground.admin_health import HealthDataAdminMixin
from ground.admin_mixins import ReadOnlyAdminMixin, state_label

from ..models import AbsenceJustification
from ..services import absences
from . import on_behalf

JUSTIFICATION_CSS = {
    AbsenceJustification.State.SUBMITTED: "state-wait",
    AbsenceJustification.State.ACCEPTED: "state-ok",
    AbsenceJustification.State.REFUSED: "state-ko",
}


@admin.register(AbsenceJustification)
class AbsenceJustificationAdmin(HealthDataAdminMixin, DecisionAdminMixin, ReadOnlyAdminMixin,
                                SimpleHistoryAdmin):
    """The reason (an illness), the family's words and document are health data (the
    model's HEALTH_FIELDS): only staff allowed to see health data read, filter or sort by
    them, each reading journaled, by the mixin. The others still see the day and decide."""

    health_fields = ("document_link",)
    list_display = ["child", "day", "activity", "reason", "document_link", "state_words",
                    "submitted_at"]
    list_filter = ["state", "reason", "reservation__slot__activity__school_year",
                   "reservation__slot__activity"]
    list_select_related = ["reservation__child", "reservation__slot__activity", "document"]
    search_fields = ["reservation__child__first_name", "reservation__child__last_name",
                     "reservation__family__name"]
    date_hierarchy = "reservation__slot__date"
    actions = ["accept_selected", "refuse_selected"]
    fields = ["child", "day", "activity", "reason", "details", "document_link", "state_words",
              "submitted_at", "submitted_by", "decided_at", "decided_by", "staff_comment"]
    readonly_fields = [*fields, "health_withheld"]
    # Decisions (the services take the justification's id)
    decide_permission = "reservations.decide_absencejustification"
    decision_state = AbsenceJustification.State.SUBMITTED
    refuse_form_class = RefuseForm
    accept_button = _("Accepter (journée non facturée)")
    refuse_button = _("Refuser")
    refuse_comment_label = _("Refuser (journée facturée) avec ce motif, envoyé à la famille :")
    refuse_title = _("Refuser la justification")
    refuse_intro = _("Une absence dont la justification est refusée est facturée. Votre "
                     "commentaire est envoyé à la famille.")
    refuse_submit = _("Refuser et prévenir la famille")
    accept_description = _("Accepter les justifications sélectionnées (non facturé)")
    refuse_description = _("Refuser les justifications sélectionnées (facturé)…")
    accepted_message = _("%(count)d justification acceptée ; la famille est prévenue par "
                         "e-mail.")
    refused_message = _("%(count)d justification refusée ; la famille est prévenue par "
                        "e-mail.")
    accepted_bulk_message = _("%(count)d justification(s) acceptée(s) ; les familles sont "
                              "prévenues par e-mail.")
    refused_bulk_message = _("%(count)d justification(s) refusée(s) ; les familles sont "
                             "prévenues par e-mail.")

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if "reason" not in fields:  # withheld by the guard: say so where it would be
            fields.insert(fields.index("activity") + 1, "health_withheld")
        return fields

    @admin.display(description=_("motif, précisions et justificatif"))
    def health_withheld(self, justification):
        return _("Réservées aux agents habilités à consulter les données de santé.")

    def get_urls(self):
        return [
            path("pour-la-famille/<int:family_id>/", self.admin_site.admin_view(
                lambda request, family_id: on_behalf.justify_view(self, request, family_id)),
                name="reservations_absencejustification_on_behalf"),
            *super().get_urls(),
        ]

    def accept_object(self, justification, user):
        return absences.accept_justification(justification.pk, user)

    def refuse_object(self, justification, user, comment):
        return absences.refuse_justification(justification.pk, user, comment)

    def get_ordering(self, request):
        # Waiting for a decision first, then the most recent days. (An order_by in
        # get_queryset would come after the model's "-submitted_at" in the change list.)
        waiting_first = Case(When(state=AbsenceJustification.State.SUBMITTED, then=0), default=1)
        return [waiting_first, "-reservation__slot__date"]

    @admin.display(description=_("enfant"), ordering="reservation__child__last_name")
    def child(self, justification):
        return justification.reservation.child

    @admin.display(description=_("jour"), ordering="reservation__slot__date")
    def day(self, justification):
        return french.format_day(justification.reservation.slot.date, "D j F Y")

    @admin.display(description=_("activité"))
    def activity(self, justification):
        return justification.reservation.slot.activity.name

    @admin.display(description=_("justificatif"))
    def document_link(self, justification):
        return link_to_document(justification.document)

    @admin.display(description=_("état"), ordering="state")
    def state_words(self, justification):
        return state_label(justification.get_state_display(),
                           JUSTIFICATION_CSS[justification.state])
