"""Roof pages: the home page and dashboard, the FAQ and the accessibility statement."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from familles.access import family_of

from .dashboard import family_dashboard


def home(request):
    if not request.user.is_authenticated:
        return render(request, "portail/landing.html")
    family = family_of(request.user)
    if family is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return redirect("familles:onboarding")
    return render(request, "portail/dashboard.html", family_dashboard(family))


def faq(request):
    return render(request, "portail/faq.html")


def accessibility(request):
    return render(request, "portail/accessibility.html")


def health(request):
    """For load balancers and docker-compose: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bad_request(request, exception):
    """handler400: Django's own renders 400.html without the request, so the layout (menu,
    the commune's name and contacts) would be missing."""
    return render(request, "400.html", status=400)
