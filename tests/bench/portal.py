"""The portal's period booking as the rush sends it: one htmx POST."""

from django.urls import reverse

from reservations.models import BookingPeriod


def book_period(client, booker, month):
    period = BookingPeriod.objects.get(activity=booker.enrolment.activity)
    return client.post(reverse("reservations:book_period"), {
        "confirm": "1",
        "child": booker.child.pk, "period": period.pk, "weekday": "2", "mois": month},
        HTTP_HX_REQUEST="true")
