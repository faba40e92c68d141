"""Staff tools of the reservations app."""

from . import admin_registers  # noqa: F401  (registers, attendance and their PDF)
