"""Production settings for the gunicorn a test starts (tests/production_stack.py), with two
changes, both for that server only:

- passwords are checked with MD5: the test process creates the users and hashes so (a real
  check costs 0.7 s of CPU, and a test logs a hundred parents in);
- static files are named without the manifest that `collectstatic` writes at the image's
  build (25 s and 35 MB for a test that serves no static file).

Everything else (cache in Redis, sessions, rate limits, the proxy's declaration, HTTPS) is
production's."""

from portail.settings.production import *  # noqa: F403
from portail.settings.production import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
