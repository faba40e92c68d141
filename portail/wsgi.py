"""The WSGI entry point that gunicorn serves (`gunicorn portail.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portail.settings.production")

application = get_wsgi_application()
