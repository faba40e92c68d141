"""The front desk's booking grid (issue 25), under « Réservations »: pick an activity, a site
and a week (or month), filter the children by age group, age or school, tick cells (or a whole
row, a whole column), then book, cancel or mark presence for all of them at once.

Reading needs `view_reservation`; booking and cancelling `change_reservation` (as the
reservation list's cancel action); marking presence the register's `add_attendance` and
`change_attendance`. Every change goes through reservations.services.front_desk."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from familles.models import FamilyEvent

from .. import grid as grid_reads
from ..deadlines import format_date
from ..forms import BookingGridActionForm, BookingGridForm
from ..services import front_desk

VIEW = "reservations.view_reservation"
BOOK = ("reservations.change_reservation",)
MARK = ("reservations.add_attendance", "reservations.change_attendance")
PARAMS = ("activity", "site", "start", "span", "age_group", "age", "school")


def grid_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("admin:reservations_reservation_grid") + (f"?{query}" if query else "")


def grid_view(model_admin, request):
    """GET: the chooser, or the grid; POST: a bulk action on the ticked cells, then back to
    the same grid (or the grid again with the error, the ticks and the reason kept)."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    params = request.POST if request.method == "POST" else request.GET
    chosen = None
    if params.get("activity"):
        chosen = {k: params.get(k, "") for k in PARAMS}
        chosen["span"] = chosen["span"] or "week"
        chosen["start"] = chosen["start"] or today.isoformat()
    form = BookingGridForm(chosen, today=today, initial={"start": today, "span": "week"})
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
               "title": _("Grille des réservations"), "form": form,
               "can_book": request.user.has_perms(BOOK),
               "can_mark": request.user.has_perms(MARK)}
    if not (chosen and form.is_valid()):
        return TemplateResponse(request, "admin/reservations/booking_grid.html", context,
                                status=400 if request.method == "POST" else 200)
    data = form.cleaned_data
    activity = data["activity"]
    first, last = grid_reads.span_of(data["start"], data["span"])
    filters = grid_reads.Filters(age_group=data["age_group"], age=data["age"],
                                 school=data["school"])
    grid = grid_reads.read_grid(activity, data["site"], first, last, data["span"], filters)
    here = {"activity": activity.pk, "site": data["site"].pk, "start": first.isoformat(),
            "span": data["span"], "age_group": getattr(data["age_group"], "pk", ""),
            "age": data["age"], "school": data["school"]}
    action = BookingGridActionForm(request.POST or None,
                                   initial={"join_waiting_list": True,
                                            "channel": FamilyEvent.Channel.COUNTER})
    selected, errors = set(), []
    if request.method == "POST":
        selected = _selection(request, grid)
        errors = _act(model_admin, request, action, grid, selected)
        if not errors:
            return redirect(grid_url(**here))
    before, after = grid_reads.neighbours(first, data["span"])
    context.update(
        grid=grid, action_form=action, errors=errors,
        selected={f"{child}:{slot}" for child, slot in selected},
        title=_("Grille des réservations – %(activity)s – %(site)s") % {
            "activity": activity.name, "site": data["site"].name},
        period=_("du %(first)s au %(last)s") % {"first": format_date(first, "l j F Y"),
                                                 "last": format_date(last, "l j F Y")},
        previous_url=grid_url(**{**here, "start": before.isoformat()}),
        next_url=grid_url(**{**here, "start": after.isoformat()}),
        hidden=[(k, v) for k, v in here.items() if v not in (None, "")])
    return TemplateResponse(request, "admin/reservations/booking_grid.html", context)


def _selection(request, grid) -> set[tuple[int, int]]:
    """The cells ticked, with those of every row and column ticked, kept to the grid's
    selectable cells (what the page showed, filters included)."""
    wanted = BookingGridActionForm.pairs(request.POST.getlist("cell"))
    for child_id in request.POST.getlist("row"):
        if child_id.isdigit():
            wanted.update(grid.cells_of_row(int(child_id)))
    for key in request.POST.getlist("col"):
        wanted.update(grid.cells_of_column(key))
    return wanted & set(grid.cells())


def _act(model_admin, request, form, grid, selected) -> list[str]:
    """Run the action; its summary as a message. Returns the errors that stopped it."""
    if not form.is_valid():
        return [_("Choisissez une action.")]
    data = form.cleaned_data
    action = data["action"]
    if not request.user.has_perms(BOOK if action in ("book", "cancel") else MARK):
        raise PermissionDenied
    if not selected:
        return [_("Cochez au moins une case (un enfant un jour), une ligne ou une colonne.")]
    activity, site, user = grid.activity, grid.site, request.user
    channel = data["channel"] or FamilyEvent.Channel.COUNTER
    try:
        if action == "book":
            report = front_desk.book_cells(activity, site, selected, user,
                                           join_waiting_list=data["join_waiting_list"],
                                           reason=data["reason"], channel=channel)
        elif action == "cancel":
            report = front_desk.cancel_cells(activity, site, selected, user,
                                             reason=data["reason"], channel=channel)
        else:
            report = front_desk.mark_cells(activity, site, selected, action, user)
    except ValidationError as error:
        return error.messages
    model_admin.message_user(request, report.message(),
                             messages.WARNING if report.refused else messages.SUCCESS)
    return []
