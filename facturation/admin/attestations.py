"""Staff tools for attestations: the list (drafts to check, issued ones read-only), the
January drafts prepared again on demand, publishing (a separate permission, which e-mails
the families), an attestation issued for a family at the desk, a new version, the PDF.
Every change goes through facturation.services.attestations."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from familles.models import Child, Family

from ..attestation_pdf import pdf_filename, store_attestation_pdf
from ..models import Attestation, euros
from ..queries import describe
from ..services import attestations as services
from ..views.downloads import pdf_download


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Année civile"), min_value=2000,
                              initial=lambda: timezone.localdate().year - 1)


class IssueForm(forms.Form):
    family = forms.ModelChoiceField(label=_("Foyer"), queryset=Family.objects.order_by("name"))
    kind = forms.ChoiceField(label=_("Type"), choices=Attestation.Kind.choices)
    year = forms.IntegerField(label=_("Année civile (fiscale, relevé)"), required=False)
    child = forms.ModelChoiceField(label=_("Enfant (présence)"), required=False,
                                   queryset=Child.objects.order_by("last_name", "first_name"))
    first = forms.DateField(label=_("Du (présence)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("Au (présence)"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ["number_or_draft", "kind", "family", "scope", "amount", "state",
                    "issued_at", "replaced"]
    list_filter = ["state", "kind", "year"]
    search_fields = ["number", "family__name"]
    list_select_related = ["family", "child", "replaced_by"]
    fields = ["number_or_draft", "kind", "family", "scope", "state", "amount", "figures",
              "replaces", "created_at", "created_by", "issued_at", "issued_by", "pdf_link"]
    readonly_fields = fields
    actions = ["publish_selected", "reissue_selected"]
    change_list_template = "admin/facturation/attestation/change_list.html"

    def has_add_permission(self, request):
        return False  # through the pages below

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request):
        return request.user.has_perm("facturation.publish_attestation")

    def has_prepare_permission(self, request):
        return request.user.has_perm("facturation.add_attestation")

    @admin.display(description=_("numéro"), ordering="number")
    def number_or_draft(self, attestation):
        return attestation.number or _t("brouillon")

    @admin.display(description=_("objet"))
    def scope(self, attestation):
        return describe(attestation)

    @admin.display(description=_("montant"), ordering="total_cents")
    def amount(self, attestation):
        return euros(attestation.total_cents) if attestation.kind != "presence" else "–"

    @admin.display(description=_("remplacée par"))
    def replaced(self, attestation):
        newer = getattr(attestation, "replaced_by", None)
        return newer.number if newer else "–"

    @admin.display(description=_("détail"))
    def figures(self, attestation):
        data = attestation.data
        if attestation.kind == Attestation.Kind.FISCAL:
            return format_html_join(
                "", "<p>{} : {}</p>",
                [(c["name"], euros(c["amount_cents"])) for c in data.get("children", [])]
                + [(_t("Payé dans l'année, toutes activités"), euros(data.get("paid_cents", 0)))])
        if attestation.kind == Attestation.Kind.PRESENCE:
            return format_html_join("", "<p>{} : {} jour(s), {}</p>", [
                (a["activity"], a["days"], a["hours_text"]) for a in data.get("activities", [])])
        return format_html("<p>{}</p>", _t("%(count)d paiement(s), %(amount)s payés") % {
            "count": len(data.get("payments", [])), "amount": euros(data.get("total_cents", 0))})

    @admin.display(description=_("PDF"))
    def pdf_link(self, attestation):
        if attestation.state != Attestation.State.ISSUED:
            return _t("après émission")
        url = reverse("admin:facturation_attestation_pdf", args=[attestation.pk])
        return format_html('<a href="{}">{}</a>', url, pdf_filename(attestation))

    # Actions ----------------------------------------------------------------------------

    @admin.action(description=_("Émettre et envoyer aux familles les brouillons choisis"),
                  permissions=["publish"])
    def publish_selected(self, request, queryset):
        count = services.publish(queryset.values_list("pk", flat=True), request.user)
        self.message_user(request, ngettext(
            "%(count)d attestation émise et envoyée à la famille.",
            "%(count)d attestations émises et envoyées aux familles.", count) % {"count": count},
            messages.SUCCESS)

    @admin.action(description=_("Émettre une nouvelle version (recalculée) des attestations "
                                "choisies"), permissions=["publish"])
    def reissue_selected(self, request, queryset):
        for attestation in queryset.filter(state=Attestation.State.ISSUED):
            try:
                new = services.reissue(attestation.pk, request.user)
            except ValidationError as exc:
                self.message_user(request, f"{attestation.number} : {' '.join(exc.messages)}",
                                  messages.ERROR)
            else:
                self.message_user(request, _t("%(new)s remplace %(old)s.") % {
                    "new": new.number, "old": attestation.number}, messages.SUCCESS)

    # Pages ------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("brouillons/", view(self.prepare_view),
                 name="facturation_attestation_prepare"),
            path("etablir/", view(self.issue_view), name="facturation_attestation_issue"),
            path("<uuid:pk>/pdf/", view(self.pdf_view), name="facturation_attestation_pdf"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_prepare": self.has_prepare_permission(request),
                         "can_publish": self.has_publish_permission(request)}
        return super().changelist_view(request, extra_context)

    def _page(self, request, form, title, intro, submit):
        return TemplateResponse(request, "admin/facturation/form_page.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": title, "intro": intro, "submit_label": submit,
        }, status=400 if form.errors else 200)

    def prepare_view(self, request):
        """The January run, by hand: drafts for every household with something to attest."""
        if not self.has_prepare_permission(request):
            raise PermissionDenied
        form = YearForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            year = form.cleaned_data["year"]
            count = services.prepare_fiscal_drafts(year, request.user)
            self.message_user(request, ngettext(
                "%(count)d attestation fiscale %(year)s en brouillon, à vérifier puis émettre.",
                "%(count)d attestations fiscales %(year)s en brouillon, à vérifier puis émettre.",
                count) % {"count": count, "year": year}, messages.SUCCESS)
            url = reverse("admin:facturation_attestation_changelist")
            return redirect(f"{url}?state__exact=draft&year={year}")
        return self._page(request, form, _t("Préparer les attestations fiscales d'une année"),
                          _t("Calcule, pour chaque foyer qui a payé des frais de garde d'un "
                             "enfant de moins de 6 ans dans l'année, son attestation fiscale en "
                             "brouillon (les brouillons existants sont recalculés). Rien n'est "
                             "envoyé aux familles avant que vous les émettiez."),
                          _t("Préparer les brouillons"))

    def issue_view(self, request):
        """An attestation issued at once for a family (at the desk, on the phone)."""
        if not self.has_publish_permission(request):
            raise PermissionDenied
        form = IssueForm(request.POST or None, initial={"family": request.GET.get("famille")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                attestation = services.request_attestation(
                    data["family"], data["kind"], user=request.user, year=data["year"],
                    child_id=data["child"].pk if data["child"] else None,
                    first=data["first"], last=data["last"], notify=True)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                self.message_user(request, _t("Attestation %(number)s établie et envoyée à la "
                                              "famille.") % {"number": attestation.number},
                                  messages.SUCCESS)
                return redirect("admin:facturation_attestation_change", attestation.pk)
        return self._page(request, form, _t("Établir une attestation pour une famille"),
                          _t("L'attestation est calculée, numérotée et envoyée par e-mail à la "
                             "famille. Une attestation fiscale déjà émise pour l'année est "
                             "reprise telle quelle : pour la corriger, émettez-en une nouvelle "
                             "version depuis la liste."),
                          _t("Établir l'attestation"))

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        attestation = get_object_or_404(Attestation, pk=pk, state=Attestation.State.ISSUED)
        return pdf_download(attestation, store_attestation_pdf, pdf_filename(attestation))
