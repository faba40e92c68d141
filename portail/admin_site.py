"""Django's admin app, on the portal's own site (INSTALLED_APPS names this config instead of
django.contrib.admin): every admin registered on it is guarded for health data."""

from django.contrib.admin.apps import AdminConfig


class PortailAdminConfig(AdminConfig):
    default_site = "portail.admin_mixins.HealthGuardedAdminSite"
