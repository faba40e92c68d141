"""Django's admin application, with the portal's site as its default site (Django's supported
way to replace `admin.site`). Kept apart from portail/apps.py: INSTALLED_APPS names it, and
the site's module imports models, which cannot be imported while apps load."""

from django.contrib.admin.apps import AdminConfig


class PortailAdminConfig(AdminConfig):
    default_site = "portail.admin_site.PortailAdminSite"
