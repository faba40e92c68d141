"""The roof's staff pages (autodiscovered after every app's admin)."""

from . import admin_family  # noqa: F401  (it registers)
