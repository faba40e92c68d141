"""Next year in one click, in the admin: on the school years' list, « Préparer l'année
suivante » shows what will be copied and asks for confirmation, then copies the catalogue
into a draft year (facturation/services/rollover.py); « Publier » shows a draft to families.

The school years' admin belongs to inscriptions, which cannot import the rollover (it needs
the copy step of reservations and facturation): facturation registers it again, extended with
these two actions, through the admin site's public API (get_model_admin, unregister,
register)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inscriptions.models import SchoolYear
from inscriptions.services.rollover import publish_year

from ..services import rollover

SchoolYearAdmin = type(admin.site.get_model_admin(SchoolYear))


class SchoolYearWithRolloverAdmin(SchoolYearAdmin):
    actions = [*(SchoolYearAdmin.actions or []), "prepare_next_year", "publish"]
    list_display = [*SchoolYearAdmin.list_display, "published"]
    list_filter = ["published"]

    # The copy creates, besides the year, slots, booking periods, tariffs and billing rules:
    # only staff allowed to create each of them may make it.
    COPY_PERMISSIONS = ("reservations.add_bookingperiod", "reservations.add_slot",
                        "facturation.add_tariff", "facturation.add_billingrule")

    def has_prepare_next_year_permission(self, request):
        return (self.has_add_permission(request)
                and request.user.has_perms(self.COPY_PERMISSIONS))

    @admin.action(description=gettext_lazy("Préparer l'année suivante (copie du catalogue)"),
                  permissions=["prepare_next_year"])
    def prepare_next_year(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choisissez une seule année à copier."),
                              messages.WARNING)
            return None
        year = queryset.get()
        try:
            summary = rollover.preview(year)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        if request.POST.get("confirm") == "yes":
            try:
                done = rollover.roll_over(year.pk)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            self.message_user(request, _(
                "L'année %(label)s est prête en brouillon : %(activities)d activités, "
                "%(periods)d périodes de réservation, %(slots)d créneaux, %(tariffs)d tarifs. "
                "Vérifiez-la, puis publiez-la : d'ici là, les familles n'en voient rien.") % {
                "label": done.new_year.label, "activities": len(done.catalogue.activities),
                "periods": len(done.booking.periods), "slots": done.booking.slots,
                "tariffs": done.tariffs}, messages.SUCCESS)
            dropped = [str(p) for p in done.booking.periods_dropped] + [
                f"{c.label} ({c.date:%d/%m/%Y})" for c in done.catalogue.closures_dropped]
            if dropped:
                self.message_user(request, _(
                    "Sans équivalent dans le nouveau calendrier, donc non copiés : %(list)s.")
                    % {"list": " ; ".join(dropped)}, messages.WARNING)
            return HttpResponseRedirect(
                reverse("admin:inscriptions_schoolyear_change", args=[done.new_year.pk]))
        return TemplateResponse(request, "admin/inscriptions/schoolyear/rollover.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("Préparer l'année %(label)s") % {"label": summary["label"]},
            "summary": summary, "action": "prepare_next_year",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description=gettext_lazy("Publier les années sélectionnées"),
                  permissions=["change"])
    def publish(self, request, queryset):
        drafts = list(queryset.filter(published=False).values_list("pk", flat=True))
        for year_id in drafts:
            publish_year(year_id)
        self.message_user(request, _("%(count)d année(s) publiée(s) : les familles les voient "
                                     "désormais.") % {"count": len(drafts)}, messages.SUCCESS)


admin.site.unregister(SchoolYear)
admin.site.register(SchoolYear, SchoolYearWithRolloverAdmin)
