"""Parent pages: the reservation calendar (placeholder until written)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def calendar(request):
    return HttpResponse("")


urlpatterns = [path("reservations/", calendar, name="calendar")]
