"""Families at the counter, in the admin: « Créer une famille au guichet » (household,
guardians with or without e-mail, a first child), the invitation to claim an access, and a
paper document received at the counter. Each page checks its model permissions and calls
familles.counter, which journals the agent."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ground.forms import form_error

from .. import counter
from ..forms import ChildForm, DocumentForm
from ..models import Document, Family, Guardian
from .front_desk import go_back, render_page, require


class CounterFamilyForm(forms.ModelForm):
    send_invitations = forms.BooleanField(
        label=gettext_lazy("Envoyer tout de suite, à chaque responsable ayant une adresse "
                           "e-mail, le lien pour créer son accès au portail"),
        required=False, initial=True)

    class Meta:
        model = Family
        fields = ["name", "address", "postal_code", "city"]
        help_texts = {"name": gettext_lazy("Laissé vide, le nom suit ceux des responsables "
                                           "(« Famille Martin », « Famille Martin-Dupont »).")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class CounterGuardianForm(forms.ModelForm):
    """A guardian as the agent types him; what is required is the service's to say (a name,
    and a phone or the family's address)."""

    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail (facultative)"), required=False,
        help_text=gettext_lazy("Sans adresse, la famille reçoit des courriers à imprimer."))

    class Meta:
        model = Guardian
        fields = ["first_name", "last_name", "relation", "mobile_phone", "home_phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["relation"].required = True

    def data_given(self) -> dict:
        data = dict(self.cleaned_data)
        typed = [v for k, v in data.items() if k != "relation" and v]
        return data if typed else {}


class ClaimForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Adresse e-mail du responsable"))


def create_family_view(model_admin, request):
    require(request, "familles.add_family", "familles.add_guardian")
    forms_ = {
        "family": CounterFamilyForm(request.POST or None, prefix="family"),
        "first": CounterGuardianForm(request.POST or None, prefix="g1"),
        "second": CounterGuardianForm(request.POST or None, prefix="g2", empty_permitted=True,
                                      use_required_attribute=False),
        "child": ChildForm(request.POST or None, prefix="c1", empty_permitted=True,
                           use_required_attribute=False),
    }
    if request.method == "POST" and all(f.is_valid() for f in forms_.values()):
        children = [forms_["child"].cleaned_data] if forms_["child"].has_changed() else []
        if children and not request.user.has_perm("familles.add_child"):
            forms_["child"].add_error(None, _("Vous n'avez pas le droit d'ajouter un enfant."))
        else:
            family_data = dict(forms_["family"].cleaned_data)
            invite = family_data.pop("send_invitations")
            guardians = [d for d in (forms_["first"].data_given(), forms_["second"].data_given())
                         if d]
            try:
                family = counter.create_family_at_counter(
                    request.user, family=family_data, guardians=guardians, children=children,
                    invite_url_builder=request.build_absolute_uri if invite else None)
            except ValidationError as exc:
                form_error(forms_["family"], exc)
            else:
                messages.success(request, _("La %(family)s est créée.") % {"family": family})
                return redirect(model_admin.family_page_url(family))
    return render_page(
        request, model_admin.admin_site, title=_("Créer une famille au guichet"),
        intro=_("Pour une famille sans accès au portail, ou sans adresse e-mail : elle recevra "
                "ses messages par courrier. Les autres enfants et l'entourage s'ajoutent "
                "ensuite depuis la fiche de la famille."),
        sections=[
            {"legend": _("Famille"), "form": forms_["family"]},
            {"legend": _("Premier responsable légal"), "form": forms_["first"]},
            {"legend": _("Second responsable légal (facultatif)"), "form": forms_["second"]},
            {"legend": _("Un enfant (facultatif)"), "form": forms_["child"]},
        ],
        buttons=[{"name": "save", "label": _("Créer la famille")}],
        status=400 if request.method == "POST" else 200)


def claim_view(model_admin, request, guardian_id):
    require(request, "familles.change_guardian")
    guardian = get_object_or_404(Guardian.objects.select_related("user", "family"),
                                 pk=guardian_id)
    initial = {"email": guardian.user.email} if guardian.user else {}
    form = ClaimForm(request.POST if request.method == "POST" else None, initial=initial)
    if guardian.user is not None:
        form.fields["email"].disabled = True  # his account's address; not changed here
    if request.method == "POST" and form.is_valid():
        try:
            counter.invite_to_claim(request.user, guardian.pk, form.cleaned_data["email"],
                                    url_builder=request.build_absolute_uri)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Le lien pour créer son accès est envoyé à %(name)s.")
                             % {"name": guardian})
            return go_back(request, guardian.family)
    return render_page(
        request, model_admin.admin_site, family=guardian.family,
        title=_("Inviter %(name)s à créer son accès") % {"name": guardian},
        intro=_("Il recevra par e-mail un lien, valable %(days)s jours et utilisable une "
                "fois, pour choisir son mot de passe ; il verra ensuite sa famille sur le "
                "portail.") % {"days": counter.claim_tokens_valid_days()},
        sections=[{"form": form}],
        buttons=[{"name": "send", "label": _("Envoyer l'invitation")}],
        status=400 if request.method == "POST" else 200)


class CounterDocumentForm(DocumentForm):
    def __init__(self, *args, family, show_health, **kwargs):
        super().__init__(*args, family=family, **kwargs)
        if not show_health:  # what the agent may not read, he does not file either
            self.fields["kind"].choices = [
                (value, label) for value, label in Document.Kind.choices
                if value not in Document.HEALTH_KINDS]


def document_view(model_admin, request, family_id):
    require(request, "familles.add_document")
    family = get_object_or_404(Family, pk=family_id)
    form = CounterDocumentForm(request.POST or None, request.FILES or None, family=family,
                               show_health=request.user.has_perm(Document.HEALTH_PERMISSION))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            counter.upload_for_family(
                request.user, family, uploaded=data["file"], kind=data["kind"],
                child=data["child"], valid_until=data["valid_until"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _("Document enregistré dans l'espace de la famille."))
            return go_back(request, family)
    return render_page(
        request, model_admin.admin_site, family=family,
        title=_("Déposer un document pour la %(family)s") % {"family": family},
        intro=_("Un document remis au guichet, scanné : il est vérifié comme ceux que les "
                "familles envoient, et marqué « reçu au guichet »."),
        sections=[{"form": form}],
        buttons=[{"name": "upload", "label": _("Déposer le document")}],
        status=400 if request.method == "POST" else 200)
