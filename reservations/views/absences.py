"""Parent pages: « Justifier une absence » and the list of the family's justifications."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from familles.access import FamilyMixin
from ground.commune import commune

from ..forms import JustificationForm
from ..services import absences


class JustifyView(FamilyMixin, View):
    template_name = "reservations/absence_form.html"

    def get_reservation(self, reservation_pk):
        # Scoped through the family: another family's reservation answers 404.
        return get_object_or_404(absences.family_reservations(self.family), pk=reservation_pk)

    def form(self, reservation, *args):
        documents = absences.justification_documents(self.family, reservation.child)
        return JustificationForm(*args, documents=documents)

    def get(self, request, reservation_pk):
        reservation = self.get_reservation(reservation_pk)
        return self.render(reservation, self.form(reservation))

    def post(self, request, reservation_pk):
        reservation = self.get_reservation(reservation_pk)
        form = self.form(reservation, request.POST, request.FILES)
        if not form.is_valid():
            return self.render(reservation, form, status=400)
        try:
            absences.justify_absence(self.family, reservation.pk, **form.service_kwargs(),
                                     user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.render(reservation, form, status=400)
        messages.success(request, _("Justification envoyée : le service l'examine et vous "
                                    "enverra sa décision par e-mail."))
        return redirect("reservations:absences")

    def render(self, reservation, form, status=200):
        justification = getattr(reservation, "justification", None)
        refusal = "" if justification else absences.justification_refusal(reservation)
        return render(self.request, self.template_name, {
            "reservation": reservation, "slot": reservation.slot, "child": reservation.child,
            "form": form, "justification": justification, "refusal": refusal,
            "deadline": absences.justification_limit_text(reservation.slot.date),
        }, status=status)


class AbsenceListView(FamilyMixin, View):
    def get(self, request):
        now = timezone.now()
        pending = [{"reservation": r,
                    "deadline": absences.justification_limit_text(r.slot.date)}
                   for r in absences.justifiable_reservations(self.family, now)]
        return render(request, "reservations/absences.html", {
            "family": self.family, "pending": pending,
            "hours": commune().justification_hours,
            "justifications": absences.family_justifications(self.family),
        })


urlpatterns = [
    path("reservations/absence/<int:reservation_pk>/", JustifyView.as_view(), name="justify"),
    path("reservations/absences/", AbsenceListView.as_view(), name="absences"),
]
