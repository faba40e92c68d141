"""The staff's tools for families: search, filters, history of every change."""

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_health import HealthDataAdminMixin
from ground.admin_mixins import LabelledInlineFormSet, ReadOnlyAdminMixin
from ground.outbox import render_email

from ..models import Child, Contact, Document, DocumentAccess, Family, Guardian, Invitation, User
from ..names import follow_guardians
from ..services import invitation_email_context
from . import at_counter
from .counter import FamilyEventInline

# allauth's own admin shows an authenticator's data: a TOTP key or recovery seed (sealed now,
# but no page needs it). Administrators see who has which device, and remove a lost one with
# `manage.py reset_staff_mfa`.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type", "created_at", "last_used_at"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                  "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "password1", "password2")}),)


class GuardianInline(admin.StackedInline):
    model = Guardian
    extra = 0
    fields = ["user", "first_name", "last_name", "relation", "mobile_phone", "home_phone",
              "work_phone"]
    # Which login opens a family is never typed by staff: a login comes with the parent's
    # own sign-up, his invitation or the claim of his access.
    readonly_fields = ["user"]

    def has_add_permission(self, request, obj=None):
        return False  # a guardian comes through the counter's form or the parents' invitation


class ChildInline(admin.TabularInline):
    model = Child
    formset = LabelledInlineFormSet
    fk_name = "family"
    extra = 0
    fields = ["first_name", "last_name", "birth_date", "sex", "school", "school_class",
              "second_family"]
    raw_id_fields = ["second_family"]
    show_change_link = True


class ContactInline(admin.TabularInline):
    model = Contact
    formset = LabelledInlineFormSet
    extra = 0
    fields = ["first_name", "last_name", "relation", "phone", "can_pick_up", "emergency_contact"]
    show_change_link = True


@admin.register(Family)
class FamilyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "city", "guardian_emails", "created_at"]
    search_fields = ["name", "guardians__last_name", "guardians__first_name",
                     "guardians__user__email", "children__first_name", "children__last_name"]
    list_filter = ["city"]
    inlines = [GuardianInline, ChildInline, ContactInline, FamilyEventInline]
    change_list_template = "admin/familles/family/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("guichet/", wrap(lambda request: at_counter.create_family_view(self, request)),
                 name="familles_family_counter"),
            path("<int:family_id>/document/", wrap(
                lambda request, family_id: at_counter.document_view(self, request, family_id)),
                name="familles_family_document"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        # A family is created through the counter's service (its checks, its journal line).
        return redirect("admin:familles_family_counter")

    def family_page_url(self, family) -> str:
        """Where the front desk goes once a family is created (the roof shows its page)."""
        return reverse("admin:familles_family_change", args=[family.pk])

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("guardians__user")

    def save_model(self, request, obj, form, change):
        # A name the agent typed is kept as typed; unticking the box gives the guardians' back.
        if "name" in form.changed_data and "name_set_by_staff" not in form.changed_data:
            obj.name_set_by_staff = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        follow_guardians(form.instance)  # a surname changed in the guardians' inline

    @admin.display(description=_("responsables"))
    def guardian_emails(self, family):
        return ", ".join(
            guardian.email or str(_("%(name)s (courrier)") % {"name": guardian})
            for guardian in family.guardians.all())


@admin.register(Guardian)
class GuardianAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "family", "relation", "mobile_phone", "email"]
    search_fields = ["first_name", "last_name", "user__email", "family__name"]
    list_filter = ["relation"]
    list_select_related = ["family", "user"]
    # A login, or a move to another household, would open a family's data to someone: they
    # come only through the sign-up, the invitation or the claim of the access.
    readonly_fields = ["user", "family"]

    def has_add_permission(self, request):
        return False  # through the counter's form or the parents' invitation

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        follow_guardians(obj.family)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:guardian_id>/acces/", wrap(
                lambda request, guardian_id: at_counter.claim_view(self, request, guardian_id)),
                name="familles_guardian_claim"),
            *super().get_urls(),
        ]


@admin.register(Child)
class ChildAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "birth_date", "school", "school_class", "family", "second_family"]
    search_fields = ["first_name", "last_name", "family__name"]
    list_filter = ["school", "school_class", "sex"]
    raw_id_fields = ["family", "second_family"]
    list_select_related = ["family", "second_family"]
    date_hierarchy = "birth_date"


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "phone", "can_pick_up", "emergency_contact", "family"]
    search_fields = ["first_name", "last_name", "family__name"]
    list_filter = ["can_pick_up", "emergency_contact"]
    raw_id_fields = ["family"]
    filter_horizontal = ["children"]
    list_select_related = ["family"]


def link_to_document(document):
    """A link that opens a family's document in a new tab (the admins of other apps show the
    documents their objects carry)."""
    if document is None:
        return "–"
    url = reverse("familles:document_download", args=[document.pk])
    return format_html('<a href="{}?voir=1" target="_blank" rel="noopener">{}</a>', url, document)


def without_health_documents(request, documents, path=""):
    """Health documents (vaccination, medical certificate, PAI) only for staff allowed."""
    if request.user.has_perm(Document.HEALTH_PERMISSION):
        return documents
    return documents.exclude(**{f"{path}kind__in": Document.HEALTH_KINDS})


@admin.register(Document)
class DocumentAdmin(HealthDataAdminMixin, SimpleHistoryAdmin):
    """Staff without the health-document permission do not see health documents at all
    (not listed, found, filtered, opened nor their history): among the rows left, the kind
    and the name tell no health matter, so the guard need not hide those columns."""

    list_display = ["kind", "original_name", "family", "child", "valid_until", "uploaded_at",
                    "received_at_counter", "download"]
    list_filter = ["kind", "uploaded_at", "received_at_counter"]
    search_fields = ["original_name", "family__name", "child__first_name", "child__last_name"]
    readonly_fields = ["family", "child", "kind", "original_name", "content_type", "size",
                       "uploaded_by", "uploaded_at", "received_at_counter", "download"]
    fields = [*readonly_fields, "valid_until"]
    list_select_related = ["family", "child"]

    def get_queryset(self, request):
        return without_health_documents(request, super().get_queryset(request))

    def withheld_health_fields(self, request):
        return set()  # rows are withheld instead (get_queryset)

    def record_health_access(self, request, obj, action, fields):
        if obj is None or obj.is_health_data:  # opening a tax notice is no health access
            super().record_health_access(request, obj, action, fields)

    def has_add_permission(self, request):
        return False  # documents enter only through the checked upload

    @admin.display(description=_("fichier"))
    def download(self, document):
        url = reverse("familles:document_download", args=[document.pk])
        return format_html('<a href="{}?voir=1">{}</a>', url, _("Ouvrir"))


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Who invited whom, when, what became of it, and the text sent: never the token, which
    is the invitee's key to the family (DESIGN.md invariant 7). Invitations come only from
    the parent's page; whoever may change one can only cancel it (« annulée le »)."""

    list_display = ["email", "family", "inviter", "created_at", "state"]
    search_fields = ["email", "family__name", "invited_by__user__email"]
    list_select_related = ["family", "invited_by__user"]
    date_hierarchy = "created_at"
    fields = ["family", "invited_by", "inviter", "email", "created_at", "state", "accepted_at",
              "accepted_by", "revoked_at", "sent_message"]
    readonly_fields = [field for field in fields if field != "revoked_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("invité par (compte)"), ordering="invited_by__user__email")
    def inviter(self, invitation):
        return invitation.invited_by.user.email

    @admin.display(description=_("état"))
    def state(self, invitation):
        if invitation.accepted_at:
            return _("acceptée")
        if invitation.revoked_at:
            return _("annulée")
        return _("en attente") if invitation.is_open else _("expirée")

    @admin.display(description=_("message envoyé"))
    def sent_message(self, invitation):
        subject, text, _html = render_email("invitation", invitation_email_context(
            invitation, accept_url=str(_("[lien personnel de l'invité, non affiché]"))))
        return format_html('<strong>{}</strong><pre style="white-space: pre-wrap">{}</pre>',
                           subject, text)


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["accessed_at", "user", "document"]
    list_filter = ["accessed_at"]
    search_fields = ["user__email", "document__family__name"]
    list_select_related = ["user", "document"]

    def get_queryset(self, request):
        # Who opened a health document names it: for staff allowed to see it only.
        return without_health_documents(request, super().get_queryset(request), "document__")
