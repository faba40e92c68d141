"""The issue's reference page: a minimal Django project (startproject's middleware, no
database), one view answering a few bytes. `bench/reference.py` serves it with gunicorn."""

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-minimal-reference-0123456789abcdefghijklmnopqrstuvwxyz",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                    "django.contrib.sessions", "django.contrib.messages"],
    MIDDLEWARE=[  # what `django-admin startproject` writes
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ],
    DATABASES={},
    USE_TZ=True,
)


def trivial(request):
    return HttpResponse(b'{"status": "ok"}', content_type="application/json")


urlpatterns = [path("sante/", trivial)]
application = get_wsgi_application()
