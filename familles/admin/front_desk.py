"""What every front-desk page of the admin shares (each app's admin builds its own on these):
the page itself, the channel the family used, the way back, the permission check.

A page is reached from the family's one-screen page (the roof) with `?next=` that page: the
lower apps cannot name the roof's URL, so they go back where they were sent from, or to the
family's change page."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from ..models import FamilyEvent

# A family acting through the staff reaches them by phone or at the counter.
STAFF_CHANNELS = [(FamilyEvent.Channel.PHONE, FamilyEvent.Channel.PHONE.label),
                  (FamilyEvent.Channel.COUNTER, FamilyEvent.Channel.COUNTER.label)]


class ChannelForm(forms.Form):
    channel = forms.ChoiceField(label=_("La famille s'adresse au service"),
                                choices=STAFF_CHANNELS, initial=FamilyEvent.Channel.COUNTER,
                                widget=forms.RadioSelect)


def require(request, *permissions) -> None:
    """Custom admin views check the model permissions themselves (least privilege)."""
    if not request.user.has_perms(permissions):
        raise PermissionDenied


def back_url(request, family) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    return reverse("admin:familles_family_change", args=[family.pk])


def go_back(request, family):
    return redirect(back_url(request, family))


def render_page(request, admin_site, *, title, sections, family=None, intro="",
                buttons=None, status=200, method="post"):
    """sections: [{"legend": …, "form": …, "help": …}]; buttons: [{"name", "label"}]."""
    return TemplateResponse(request, "admin/front_desk/form.html", {
        **admin_site.each_context(request),
        "title": title, "intro": intro, "family": family,
        "family_url": back_url(request, family) if family is not None else "",
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "sections": sections, "method": method,
        "buttons": buttons or [{"name": "save", "label": _("Enregistrer")}],
    }, status=status)
