"""Erasure requests in the admin: the list, and each request's page with the plan's two
halves (what goes, what the law keeps: counts only for health data and documents); staff
with `portail.approve_erasure` approve after a confirmation page, or refuse with a reason
e-mailed to the parent (ground.admin_decisions)."""

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ground.admin_decisions import DecisionAdminMixin
from ground.admin_mixins import ReadOnlyAdminMixin, state_label

from . import erasure
from .erasure_plan import plan_for
from .models import ErasureRequest

STATE_CSS = {ErasureRequest.State.PENDING: "state-wait", ErasureRequest.State.DONE: "state-ok",
             ErasureRequest.State.REFUSED: "state-ko",
             ErasureRequest.State.CANCELLED: "state-ko"}


@admin.register(ErasureRequest)
class ErasureRequestAdmin(DecisionAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["family", "requested_by", "requested_at", "state_words", "reviewed_by",
                    "reviewed_at"]
    list_filter = ["state"]
    list_select_related = ["family", "requested_by", "reviewed_by"]
    search_fields = ["family__name"]
    fields = ["family", "requested_by", "requested_at", "message", "state_words",
              "reviewed_by", "reviewed_at", "refusal_reason"]
    readonly_fields = fields
    actions = []
    change_form_template = "admin/portail/erasurerequest/change_form.html"
    # Decisions, one request at a time (portail.erasure).
    decide_permission = erasure.PERMISSION
    decision_state = ErasureRequest.State.PENDING
    accept_path = "approuver"
    accept_button = _("Approuver et effacer…")
    refuse_button = _("Refuser")
    refuse_comment_label = _("Refuser avec ce motif, envoyé à la famille (obligatoire : la loi "
                             "ne permet de refuser que pour un motif précis) :")
    refuse_title = _("Refuser la demande d'effacement")
    refuse_intro = _("Le motif est envoyé à la famille, avec ses recours (délégué à la "
                     "protection des données, CNIL).")
    refuse_submit = _("Refuser et prévenir la famille")
    accepted_message = _("Compte fermé et données effacées ; la famille est prévenue par "
                         "e-mail.")
    refused_message = _("Demande refusée ; la famille est prévenue par e-mail.")

    @admin.display(description=_("état"), ordering="state")
    def state_words(self, obj):
        return state_label(obj.get_state_display(), STATE_CSS[obj.state])

    def accept_object(self, obj, user):
        return erasure.approve_erasure(obj.pk, user)

    def refuse_object(self, obj, user, comment):
        return erasure.refuse_erasure(obj.pk, user, comment)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None and obj.is_pending:
            context["plan"] = plan_for(obj.requested_by)
        return super().change_view(request, object_id, form_url, context)

    def accept_view(self, request, pk):
        """« Approuver et effacer… » first shows what will go and what stays; only the
        confirmation's POST erases."""
        self._check_decide(request)
        obj = get_object_or_404(ErasureRequest, pk=pk)
        if request.method == "POST" and request.POST.get("confirmed") == "yes":
            return super().accept_view(request, pk)
        return TemplateResponse(request, "admin/portail/erasurerequest/confirm.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("Approuver et effacer"), "original": obj,
            "plan": plan_for(obj.requested_by) if obj.is_pending else None,
        })
