"""Canteen subscriptions: families set them, staff read them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_mixins import ReadOnlyAdminMixin

from ..models import MealSubscription


@admin.register(MealSubscription)
class MealSubscriptionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Families set their subscription; staff read it (the bookings follow from it)."""

    list_display = ["child", "activity", "days", "active", "applies_from", "updated_at"]
    list_filter = ["active", "enrolment__activity__school_year", "enrolment__activity"]
    search_fields = ["enrolment__child__first_name", "enrolment__child__last_name",
                     "enrolment__child__family__name"]
    list_select_related = ["enrolment__child", "enrolment__activity__school_year"]

    @admin.display(description=_("enfant"), ordering="enrolment__child__last_name")
    def child(self, subscription):
        return subscription.enrolment.child

    @admin.display(description=_("activité"))
    def activity(self, subscription):
        return subscription.enrolment.activity

    @admin.display(description=_("jours"))
    def days(self, subscription):
        return ", ".join(subscription.weekday_names())
