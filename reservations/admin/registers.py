"""Staff registers: expected children per activity, site and day; attendance; PDF.

The « Pointages » entry of the admin lists what was recorded and opens the registers: pick an
activity of the current school year, a site and a day (today by default), then mark each
child present or absent (for care, with arrival and departure times), add a presence nobody
expected, or print the register. Every change goes through reservations.services.registers."""

from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from ground.admin_mixins import ReadOnlyAdminMixin
from inscriptions.calendar import runs_on
from inscriptions.models import Activity, Site

from ..deadlines import format_day
from ..forms import ActivityPartsMixin
from ..models import Attendance
from ..register_pdf import render_register_pdf
from ..services import registers as register_services

VIEW = "reservations.view_attendance"
MARK = ("reservations.add_attendance", "reservations.change_attendance")


class RegisterChoiceForm(ActivityPartsMixin, forms.Form):
    activity = forms.ModelChoiceField(label=gettext_lazy("Activité"),
                                      queryset=Activity.objects.none())
    site = forms.ModelChoiceField(label=gettext_lazy("Lieu d'accueil"),
                                  queryset=Site.objects.none())
    day = forms.DateField(label=gettext_lazy("Jour"),
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, school_year=None, **kwargs):
        super().__init__(*args, **kwargs)
        activities = Activity.objects.filter(school_year=school_year).order_by("kind", "name")
        self.fields["activity"].queryset = activities
        self.fields["site"].queryset = Site.objects.filter(
            activities__in=activities).distinct().order_by("name")


class RegisterMarksForm(forms.Form):
    """One radio group (present, absent) per row; for care, arrival and departure times."""

    STATUS_CHOICES = Attendance.Status.choices

    def __init__(self, register, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register = register
        for row in register.rows:
            self.fields[f"status_{row.key}"] = forms.ChoiceField(
                choices=self.STATUS_CHOICES, required=False, widget=forms.RadioSelect)
            if register.with_times:
                self.fields[f"arrived_{row.key}"] = forms.TimeField(required=False)
                self.fields[f"left_{row.key}"] = forms.TimeField(required=False)

    def error_messages(self) -> list[str]:
        by_key = {row.key: row for row in self.register.rows}
        out = []
        for name, errors in self.errors.items():
            row = by_key.get(name.split("_", 1)[-1])
            who = f"{row.child} ({row.unit.label}) : " if row else ""
            out += [who + str(e) for e in errors]
        return out

    def marks(self) -> list[register_services.AttendanceMark]:
        marks = []
        for row in self.register.rows:
            data = self.cleaned_data
            status = data.get(f"status_{row.key}") or ""
            arrived, left = data.get(f"arrived_{row.key}"), data.get(f"left_{row.key}")
            if not status and (arrived or left):
                status = Attendance.Status.PRESENT  # a time typed means the child came
            if not status:
                continue  # not marked yet
            before = row.attendance
            if before and (before.status, before.arrived_at, before.left_at) == (
                    status, arrived, left):
                continue  # unchanged: nothing to write (and nothing to re-check)
            marks.append(register_services.AttendanceMark(
                child_id=row.child.pk, unit_id=row.unit.pk, status=status,
                arrived_at=arrived, left_at=left))
        return marks


def _time_value(value) -> str:
    return value.strftime("%H:%M") if value else ""


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """What was recorded, read-only: registers are where attendance is taken."""

    list_display = ["date", "child", "activity", "unit", "site", "status", "arrived_at",
                    "left_at", "unexpected", "recorded_by"]
    list_filter = ["date", "status", "unexpected", "activity__school_year", "site"]
    search_fields = ["child__first_name", "child__last_name", "activity__name"]
    list_select_related = ["child", "activity__school_year", "unit", "site", "recorded_by"]
    date_hierarchy = "date"
    change_list_template = "admin/reservations/attendance/change_list.html"

    # URLs ------------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        register = "registres/<int:activity_id>/<int:site_id>/<str:day>/"
        return [
            path("registres/", wrap(self.chooser_view),
                 name="reservations_attendance_registers"),
            path(register, wrap(self.register_view), name="reservations_attendance_register"),
            path(f"{register}pdf/", wrap(self.pdf_view),
                 name="reservations_attendance_register_pdf"),
            path(f"{register}imprevu/", wrap(self.unexpected_view),
                 name="reservations_attendance_register_unexpected"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "registers_url": reverse("admin:reservations_attendance_registers")}
        return super().changelist_view(request, extra_context)

    # Helpers ---------------------------------------------------------------------------
    def _require(self, request, *perms):
        if not request.user.has_perms(perms):
            raise PermissionDenied

    def _load(self, activity_id, site_id, day):
        activity = get_object_or_404(
            Activity.objects.select_related("school_year"), pk=activity_id)
        site = get_object_or_404(activity.sites.all(), pk=site_id)
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise Http404 from None
        return activity, site, day

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta,
                "title": title, **extra}

    @staticmethod
    def register_url(activity, site, day, name="register"):
        suffix = "" if name == "register" else f"_{name}"
        return reverse(f"admin:reservations_attendance_register{suffix}",
                       args=[activity.pk, site.pk, day.isoformat()])

    # Chooser ---------------------------------------------------------------------------
    def chooser_view(self, request):
        self._require(request, VIEW)
        today = timezone.localdate()
        year = register_services.current_school_year(today)
        bound = bool(request.GET.get("activity"))
        form = RegisterChoiceForm(request.GET if bound else None, school_year=year,
                                  initial={"day": today})
        if bound and form.is_valid():
            data = form.cleaned_data
            return redirect(self.register_url(data["activity"], data["site"], data["day"]))
        todays = []
        if year is not None:
            for activity in (Activity.objects.filter(school_year=year)
                             .prefetch_related("sites").order_by("kind", "name")):
                if runs_on(activity, today):
                    todays += [(activity, site, self.register_url(activity, site, today))
                               for site in activity.sites.all()]
        return TemplateResponse(request, "admin/reservations/register_chooser.html",
                                self._context(request, _("Registres"), form=form, year=year,
                                              todays=todays,
                                              today=format_day(today)))

    # Register --------------------------------------------------------------------------
    def register_view(self, request, activity_id, site_id, day):
        self._require(request, VIEW)
        posted = request.method == "POST"
        if posted:
            self._require(request, *MARK)
        activity, site, day = self._load(activity_id, site_id, day)
        # On a successful save nothing is shown: the health journal is written on display.
        register = register_services.open_register(activity, site, day, request.user,
                                                   record_access=not posted)
        form = RegisterMarksForm(register, request.POST if posted else None)
        errors = []
        if posted:
            if form.is_valid():
                try:
                    saved = register_services.record_attendance(
                        activity, site, day, form.marks(), request.user)
                except ValidationError as exc:
                    errors = exc.messages
                else:
                    self.message_user(request, _("Registre enregistré (%(count)d pointage(s) "
                                                 "modifié(s)).") % {"count": len(saved)},
                                      messages.SUCCESS)
                    return redirect(self.register_url(activity, site, day))
            else:
                errors = form.error_messages()
            register_services.record_health_accesses(register, request.user)
        return self._render_register(request, register, form, errors)

    def _render_register(self, request, register, form, errors):
        bound = form.is_bound
        for row in register.rows:
            if bound:  # show what was typed, so that nothing is lost on an error
                row.shown_status = form.data.get(f"status_{row.key}", "")
                row.shown_arrived = form.data.get(f"arrived_{row.key}", "")
                row.shown_left = form.data.get(f"left_{row.key}", "")
            else:
                attendance = row.attendance
                row.shown_status = row.status
                row.shown_arrived = _time_value(attendance and attendance.arrived_at)
                row.shown_left = _time_value(attendance and attendance.left_at)
        query = request.GET.get("q", "").strip()
        candidates = (register_services.unexpected_candidates(register.activity, query)
                      if query else [])
        activity, site, day = register.activity, register.site, register.day
        can_mark = request.user.has_perms(MARK)
        context = self._context(
            request, register.title, register=register, errors=errors, can_mark=can_mark,
            can_add=can_mark and request.user.has_perm("reservations.add_attendance"),
            counts=register.counts(), query=query, candidates=candidates,
            units=[group.unit for group in register.groups],
            statuses=Attendance.Status.choices,
            pdf_url=self.register_url(activity, site, day, "pdf"),
            unexpected_url=self.register_url(activity, site, day, "unexpected"),
            previous_url=self.register_url(activity, site, day - timedelta(days=1)),
            next_url=self.register_url(activity, site, day + timedelta(days=1)),
            chooser_url=reverse("admin:reservations_attendance_registers"),
        )
        return TemplateResponse(request, "admin/reservations/register.html", context)

    # Unexpected presence ---------------------------------------------------------------
    def unexpected_view(self, request, activity_id, site_id, day):
        self._require(request, VIEW, "reservations.add_attendance")
        activity, site, day = self._load(activity_id, site_id, day)
        back = self.register_url(activity, site, day)
        if request.method != "POST":
            return redirect(back)
        try:
            child_id = int(request.POST.get("child", ""))
            unit_id = int(request.POST.get("unit", ""))
        except ValueError:
            self.message_user(request, _("Choisissez un enfant et une unité."), messages.ERROR)
            return redirect(back)
        arrived = forms.TimeField(required=False)
        try:
            arrived_at = arrived.clean(request.POST.get("arrived", ""))
            attendance = register_services.add_unexpected_presence(
                activity, site, day, child_id, unit_id, request.user, arrived_at=arrived_at)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(request, _("Présence imprévue de %(child)s enregistrée.") % {
                "child": attendance.child}, messages.SUCCESS)
        return redirect(back)

    # PDF -------------------------------------------------------------------------------
    def pdf_view(self, request, activity_id, site_id, day):
        self._require(request, VIEW)
        activity, site, day = self._load(activity_id, site_id, day)
        register = register_services.open_register(activity, site, day, request.user)
        pdf = render_register_pdf(register)
        name = slugify(f"registre-{activity.name}-{site.name}-{day.isoformat()}")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
