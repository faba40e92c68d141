"""Parent pages: the family's private iCal address, and the public feed it serves."""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET

from familles.access import FamilyMixin

from ..services.feeds import active_feed, feed_calendar, feed_for, revoke_feed


class FeedSettingsView(FamilyMixin, View):
    """Shows the private address; « Révoquer » makes it stop working and gives a new one."""

    def get(self, request):
        feed = feed_for(self.family)
        url = request.build_absolute_uri(reverse("reservations:feed", args=[feed.token]))
        return render(request, "reservations/feed_settings.html", {"feed": feed, "url": url})

    def post(self, request):
        revoke_feed(self.family)
        messages.success(request, _("L'ancienne adresse ne fonctionne plus. Voici la nouvelle : "
                                    "copiez-la dans votre agenda."))
        response = HttpResponseRedirect(reverse("reservations:feed_settings"))
        response.status_code = 303
        return response


@require_GET
def feed(request, token):
    """Public (calendar applications cannot log in): the secret token is the key."""
    found = active_feed(token)
    if found is None:
        raise Http404
    response = HttpResponse(feed_calendar(found.family),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="reservations.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path("reservations/agenda/", FeedSettingsView.as_view(), name="feed_settings"),
    path("reservations/agenda/<str:token>.ics", feed, name="feed"),
]
