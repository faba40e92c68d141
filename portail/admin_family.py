"""The family's page as one screen, for the staff (the roof: it reads every app): guardians
(with an access, or « courrier »), children, files per school year, enrolments, the next
bookings, balance and invoices, messages and letters sent, the family's journal, and the
links to act for it (familles, inscriptions, reservations: each app's front-desk pages).

Registered over familles' FamilyAdmin (a subclass: the lower app cannot name this page), so
that the family list leads here and a family created at the counter opens here."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from familles.admin import FamilyAdmin
from familles.models import Document, Family

from .family_page import family_page

VIEW = "familles.view_family"
# The sections read only by whoever may view their records elsewhere in the admin.
SECTIONS = {
    "show_health_documents": Document.HEALTH_PERMISSION,
    "show_invoices": "facturation.view_invoice",
    "show_emails": "ground.view_outboxmessage",
    "show_letters": "familles.view_letter",
}
# Each link to act, shown to whoever holds its permissions.
ACTIONS = {
    "document": ("familles.add_document",),
    "claim": ("familles.change_guardian",),
    "file": ("inscriptions.change_annualfile", "inscriptions.view_health_data"),
    "enrol": ("inscriptions.add_enrolment",),
    "book": ("reservations.add_reservation",),
    "grid": ("reservations.view_reservation",),
    "justify": ("reservations.add_absencejustification",),
    "children": ("familles.change_family", "familles.add_child"),
}


class FamilyPageAdmin(FamilyAdmin):
    list_display = ["name", "page_link", "city", "guardian_emails", "created_at"]

    def get_urls(self):
        return [
            path("<int:family_id>/fiche/", self.admin_site.admin_view(self.page_view),
                 name="familles_family_page"),
            *super().get_urls(),
        ]

    def family_page_url(self, family) -> str:
        return reverse("admin:familles_family_page", args=[family.pk])

    @admin.display(description=gettext_lazy("fiche"))
    def page_link(self, family):
        return format_html('<a href="{}">{}</a>', self.family_page_url(family),
                           _("Ouvrir la fiche"))

    def page_view(self, request, family_id):
        if not request.user.has_perm(VIEW):
            raise PermissionDenied
        family = get_object_or_404(Family, pk=family_id)
        can = {name: request.user.has_perms(perms) for name, perms in ACTIONS.items()}
        return TemplateResponse(request, "admin/portail/family_page.html", {
            **self.admin_site.each_context(request),
            "title": str(family), "family": family, "opts": self.model._meta,
            "page_url": self.family_page_url(family), "can": can,
            "today": timezone.localdate(),
            **family_page(family, **{flag: request.user.has_perm(perm)
                                     for flag, perm in SECTIONS.items()}),
        })


admin.site.unregister(Family)
admin.site.register(Family, FamilyPageAdmin)
