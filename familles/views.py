"""Ma famille, Profil, Entourage and the document vault. Thin: read, call a service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from ground import french
from ground.forms import form_error

from . import counter, queries, services
from .access import FamilyMixin, family_of
from .forms import (
    ChildForm,
    ContactForm,
    DocumentForm,
    FamilyAddressForm,
    GuardianForm,
    InvitationForm,
)
from .models import Child, Contact, Document


class OnboardingView(LoginRequiredMixin, View):
    template_name = "familles/onboarding.html"

    def get(self, request):
        if family_of(request.user):
            return redirect(settings.LOGIN_REDIRECT_URL)  # the roof's dashboard
        return self.render(GuardianForm(), FamilyAddressForm())

    def post(self, request):
        guardian_form = GuardianForm(request.POST)
        address_form = FamilyAddressForm(request.POST)
        if guardian_form.is_valid() and address_form.is_valid():
            try:
                services.create_family(
                    request.user, guardian=guardian_form.cleaned_data,
                    family=address_form.cleaned_data,
                )
            except ValidationError as exc:
                form_error(guardian_form, exc)
            else:
                messages.success(request, _("Votre famille est créée. Ajoutez maintenant vos "
                                            "enfants."))
                return redirect("familles:child_add")
        return self.render(guardian_form, address_form)

    def render(self, guardian_form, address_form):
        invitations = queries.invitations_for(self.request.user)
        return render(self.request, self.template_name, {
            "guardian_form": guardian_form, "address_form": address_form,
            "invitations": invitations,
        })


class FamilyView(FamilyMixin, View):
    def get(self, request):
        family = self.family
        return render(request, "familles/family.html", {
            "family": family, **queries.family_page(family),
            "invitation_form": InvitationForm(),
            "can_invite": services.can_invite(family),
        })


class ProfileView(FamilyMixin, View):
    template_name = "familles/profile.html"

    def get(self, request):
        guardian = request.user.guardian
        return render(request, self.template_name, {
            "guardian_form": GuardianForm(instance=guardian),
            "address_form": FamilyAddressForm(instance=self.family),
        })

    def post(self, request):
        guardian = request.user.guardian
        guardian_form = GuardianForm(request.POST, instance=guardian)
        address_form = FamilyAddressForm(request.POST, instance=self.family)
        if guardian_form.is_valid() and address_form.is_valid():
            services.update_profile(
                guardian, guardian_data=guardian_form.cleaned_data,
                family_data=address_form.cleaned_data,
            )
            messages.success(request, _("Votre profil est enregistré."))
            return redirect("familles:profile")
        return render(request, self.template_name, {
            "guardian_form": guardian_form, "address_form": address_form,
        })


class InviteView(FamilyMixin, View):
    def post(self, request):
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                services.invite_guardian(
                    request.user.guardian, form.cleaned_data["email"],
                    accept_url_builder=request.build_absolute_uri,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Invitation envoyée à %(email)s.")
                                 % {"email": form.cleaned_data["email"]})
        else:
            messages.error(request, _("Saisissez une adresse e-mail valide."))
        return redirect("familles:family")


class InvitationAcceptView(View):
    """The link of the invitation e-mail. Logged out, the invitee reads who invited him to
    which family, and how to log in or sign up to accept; logged in, he accepts."""

    template_name = "familles/invitation.html"

    def get_invitation(self, token):
        invitation = queries.invitation_by_token(token)
        if invitation is None:
            raise Http404
        return invitation

    def get(self, request, token):
        invitation = self.get_invitation(token)
        if not request.user.is_authenticated:
            return render(request, "familles/invitation_welcome.html", {
                "invitation": invitation,
                "next": urlencode({"next": request.path}),
            })
        return render(request, self.template_name, {
            "invitation": invitation, "form": GuardianForm(),
        })

    def post(self, request, token):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        invitation = self.get_invitation(token)
        form = GuardianForm(request.POST)
        if form.is_valid():
            try:
                services.accept_invitation(request.user, token, guardian=form.cleaned_data)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Vous avez rejoint la %(family)s.")
                                 % {"family": invitation.family})
                return redirect("familles:family")
        return render(request, self.template_name, {"invitation": invitation, "form": form})


class ChildEditView(FamilyMixin, View):
    template_name = "familles/child_form.html"

    def get_child(self, pk):
        if pk is None:
            return None
        return get_object_or_404(Child.objects.for_family(self.family), pk=pk)

    def get(self, request, pk=None):
        child = self.get_child(pk)
        return render(request, self.template_name,
                      {"form": ChildForm(instance=child), "child": child})

    def post(self, request, pk=None):
        child = self.get_child(pk)
        form = ChildForm(request.POST, instance=child)
        if form.is_valid():
            try:
                saved = services.save_child(self.family, form.cleaned_data, child=child)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("%(child)s est %(saved)s.") % {
                    "child": saved, "saved": french.agree(saved.sex, "enregistré")})
                return redirect("familles:family")
        return render(request, self.template_name, {"form": form, "child": child})


class ContactListView(FamilyMixin, View):
    def get(self, request):
        return render(request, "familles/contacts.html", {
            "contacts": self.family.contacts.prefetch_related("children"),
        })


class ContactEditView(FamilyMixin, View):
    template_name = "familles/contact_form.html"

    def get_contact(self, pk):
        if pk is None:
            return None
        return get_object_or_404(Contact.objects.filter(family=self.family), pk=pk)

    def get(self, request, pk=None):
        contact = self.get_contact(pk)
        form = ContactForm(instance=contact, family=self.family)
        return render(request, self.template_name, {"form": form, "contact": contact})

    def post(self, request, pk=None):
        contact = self.get_contact(pk)
        form = ContactForm(request.POST, instance=contact, family=self.family)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "children"}
            try:
                services.save_contact(self.family, data, form.cleaned_data["children"],
                                      contact=contact)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("L'entourage est à jour."))
                return redirect("familles:contacts")
        return render(request, self.template_name, {"form": form, "contact": contact})


class ContactDeleteView(FamilyMixin, View):
    template_name = "familles/contact_delete.html"

    def get_contact(self, pk):
        return get_object_or_404(Contact.objects.filter(family=self.family), pk=pk)

    def get(self, request, pk):
        return render(request, self.template_name, {"contact": self.get_contact(pk)})

    def post(self, request, pk):
        contact = self.get_contact(pk)
        try:
            services.delete_contact(self.family, contact)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("%(name)s ne fait plus partie de votre entourage.")
                             % {"name": f"{contact.first_name} {contact.last_name}"})
        return redirect("familles:contacts")


class HistoryView(FamilyMixin, View):
    """« Historique »: what the service did for the household, by whom and why."""

    def get(self, request):
        page = Paginator(queries.family_events(self.family), 50).get_page(request.GET.get("page"))
        return render(request, "familles/history.html", {"page": page})


class DocumentListView(FamilyMixin, View):
    template_name = "familles/documents.html"

    def documents(self):
        return queries.family_documents(self.family)

    def get(self, request):
        initial = {"kind": request.GET.get("type")} if request.GET.get("type") else None
        return render(request, self.template_name, {
            "documents": self.documents(),
            "form": DocumentForm(family=self.family, initial=initial),
        })

    def post(self, request):
        form = DocumentForm(request.POST, request.FILES, family=self.family)
        if form.is_valid():
            try:
                document = services.upload_document(
                    self.family, uploaded=form.cleaned_data["file"],
                    kind=form.cleaned_data["kind"], child=form.cleaned_data["child"],
                    valid_until=form.cleaned_data["valid_until"], user=request.user,
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(request, _("« %(name)s » est enregistré dans vos documents.")
                                 % {"name": document.original_name})
                return redirect("familles:documents")
        return render(request, self.template_name, {"documents": self.documents(), "form": form},
                      status=400)


class DocumentDeleteView(FamilyMixin, View):
    """« Supprimer »: a confirmation page (no JavaScript needed), then a POST."""

    def get_document(self, pk):
        return get_object_or_404(Document.objects.filter(family=self.family), pk=pk)

    def get(self, request, pk):
        return render(request, "familles/document_delete.html",
                      {"document": self.get_document(pk)})

    def post(self, request, pk):
        document = self.get_document(pk)
        try:
            services.delete_document(self.family, document)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("« %(name)s » a été supprimé.")
                             % {"name": document.original_name})
        return redirect("familles:documents")


@login_required
def document_download(request, pk):
    """Serves a vault document to whoever `services.readable_document` allows."""
    document = services.readable_document(request.user, pk)
    if document is None:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=request.GET.get("voir") != "1",
                            filename=document.original_name, content_type=document.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox"
    return response


class ClaimAccountView(View):
    """« Créer mon accès »: a guardian served at the counter chooses his password from the
    link the service e-mailed him (familles.counter). The link is checked on every request
    and serves once."""

    template_name = "familles/claim.html"

    def get(self, request, uidb64, token):
        user = counter.user_for_claim(uidb64, token)
        form = SetPasswordForm(user) if user is not None else None
        return render(request, self.template_name, {"form": form, "claimed_user": user},
                      status=200 if user is not None else 404)

    def post(self, request, uidb64, token):
        user = counter.user_for_claim(uidb64, token)
        if user is None:
            return render(request, self.template_name, {"form": None}, status=404)
        form = SetPasswordForm(user, request.POST)
        if form.is_valid():
            try:
                counter.claim_account(uidb64, token, form.cleaned_data["new_password1"])
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Votre accès est prêt : connectez-vous avec votre "
                                            "adresse e-mail et ce mot de passe."))
                return redirect("account_login")
        return render(request, self.template_name, {"form": form, "claimed_user": user},
                      status=400)
