"""The admin site (roof): the health-guarded site of the ground (every admin registered on it
is guarded for health data, ground/admin_health.py), with the staff's second factor in
front of every page.

It is the default site (`portail.admin_config.PortailAdminConfig`), so `admin.site` is this
one and every app registers on it as usual. Django asks `has_permission` before every view
of the site (`admin_view`), and sends a refused request to `login`: this is where a staff
member without a device is led to enrol, and one who has not given its code in this session
is asked for it (familles/second_factor.py).
"""

from allauth.account.decorators import secure_admin_login
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from familles import second_factor
from ground.admin_health import HealthGuardedAdminSite


class PortailAdminSite(HealthGuardedAdminSite):
    def has_permission(self, request):
        return (super().has_permission(request)
                and second_factor.missing_step(request) is None)

    def login(self, request, extra_context=None):
        # Staff log in through allauth, so that its code step cannot be bypassed; once
        # logged in, what is missing of the second factor comes before the admin.
        if request.user.is_active and request.user.is_staff:
            step = second_factor.missing_step(request)
            if step == second_factor.ENROL:
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            if step == second_factor.VERIFY:
                next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
                if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
                    next_url = reverse("admin:index", current_app=self.name)
                return HttpResponseRedirect(
                    f"{reverse('mfa_reauthenticate')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
        return secure_admin_login(super().login)(request, extra_context)
