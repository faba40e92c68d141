"""Roof pages: the home page and dashboard, the service's messages, the FAQ and the
accessibility statement."""

from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.generic import TemplateView

from familles.access import FamilyMixin, family_of

from .accessibility import statement_context
from .dashboard import family_dashboard
from .privacy import notice_context
from .queries import family_messages


def home(request):
    if not request.user.is_authenticated:
        return render(request, "portail/landing.html")
    family = family_of(request.user)
    if family is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return redirect("familles:onboarding")
    return render(request, "portail/dashboard.html", family_dashboard(family))


class MessagesView(FamilyMixin, TemplateView):
    """« Messages du service »: every message sent to the parent's household."""

    template_name = "portail/messages.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "family": self.family,
                "service_messages": family_messages(self.family.pk)}


def favicon(request):
    """The conventional address of the icon, to the static file (its hashed name in
    production, hence resolved per request, not when the URLs are loaded)."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


def faq(request):
    return render(request, "portail/faq.html")


def accessibility(request):
    return render(request, "portail/accessibility.html", statement_context())


def privacy(request):
    """« Données personnelles »: the information notice, public (GDPR art. 13)."""
    return render(request, "portail/privacy.html", notice_context())


def health(request):
    """For load balancers and docker-compose: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bad_request(request, exception):
    """handler400: Django's own renders 400.html without the request, so the layout (menu,
    the commune's name and contacts) would be missing."""
    return render(request, "400.html", status=400)
