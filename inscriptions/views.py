"""« Créer une inscription » and the dossier administratif, for parents."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from familles.access import FamilyMixin
from familles.models import Child, Document
from ground import french

from . import queries, rules, services
from .extensions import enrolment_links
from .forms import AnnualFileForm, EnrolmentRequestForm
from .models import Activity, AnnualFile, Enrolment, SchoolYear

# The badge of an enrolment's state: always in words, the colour only repeats them.
ENROLMENT_BADGES = {
    Enrolment.State.VALIDATED: "state-ok",
    Enrolment.State.REQUESTED: "state-wait",
    Enrolment.State.REFUSED: "state-ko",
    Enrolment.State.WITHDRAWN: "state-neutral",
}


def _document_reasons() -> set[str]:
    """The reasons `reasons_not_eligible` gives for a missing or expired document: those rows
    link to « Mes documents »."""
    return {rules.missing_document_reason(label) for label in Document.Kind.labels}


def days_in_words(activity: Activity) -> str:
    """"lundi, mardi, jeudi, vendredi (jours d'école)", "mercredis hors vacances scolaires"…"""
    if activity.days == Activity.Days.SCHOOL_DAYS:
        return _("%(days)s (jours d'école, hors vacances)") % {
            "days": ", ".join(activity.weekday_names())}
    return str(activity.get_days_display())


def _present_row(row: queries.CatalogueRow, year: SchoolYear, file_message: str,
                 document_reasons: set[str], documents_url: str) -> dict:
    """What the page shows for one activity and one child (no query: sites are prefetched)."""
    activity = row.activity
    sites = list(activity.sites.all())
    enrolment = row.enrolment
    reasons = []
    for reason in row.reasons:
        url = ""
        if reason == file_message and row.file_url:
            # Said in full once above the child's activities; a short reminder here.
            reason = _("Le dossier administratif %(year)s doit d'abord être validé.") % {
                "year": year}
            url, link = row.file_url, _("Ouvrir le dossier administratif")
        elif reason in document_reasons:
            url, link = documents_url, _("Aller à « Mes documents »")
        reasons.append({"text": reason, "url": url, "link": link if url else ""})
    return {
        "activity": activity,
        "sites": sites,
        "days": days_in_words(activity),
        "documents": [Document.Kind(kind).label for kind in activity.required_document_kinds
                      if kind in Document.Kind.values],
        "enrolment": enrolment,
        "enrolment_site": next((s for s in sites if enrolment and s.pk == enrolment.site_id),
                               None),
        "badge": ENROLMENT_BADGES.get(enrolment.state, "state-neutral") if enrolment else "",
        "active": bool(enrolment and enrolment.is_active),
        "can_request": row.can_request,
        "reasons": reasons,
        "links": (enrolment_links(enrolment, activity)
                  if enrolment and enrolment.state == Enrolment.State.VALIDATED else []),
    }


def catalogues(family, children, years) -> list[dict]:
    """For each open year, each child's activities: a fixed number of queries per year."""
    document_reasons = _document_reasons()
    documents_url = reverse("familles:documents")
    result = []
    for year in years:
        entries = []
        for entry in queries.catalogue(family, children, year):
            entries.append({
                "child": entry["child"], "file_message": entry["file_message"],
                "file_url": entry["file_url"],
                "rows": [_present_row(row, year, entry["file_message"], document_reasons,
                                      documents_url) for row in entry["rows"]],
            })
        result.append({"year": year, "children": entries})
    return result


def _home_anchor(year_pk, child_pk) -> str:
    return reverse("inscriptions:home") + f"#activities-{year_pk}-{child_pk}"


class RegistrationHomeView(FamilyMixin, View):
    """For each child and each open school year: the file's state, then the activities the
    child can join, his enrolments, or why he cannot enrol yet."""

    def get(self, request):
        years = list(SchoolYear.objects.open_for_files())
        children = list(Child.objects.for_family(self.family))
        rows = queries.file_rows(children, years)
        return render(request, "inscriptions/home.html", {
            "rows": rows, "years": years,
            "catalogues": catalogues(self.family, children, years) if children else [],
        })


class EnrolmentRequestView(FamilyMixin, View):
    """« Demander l'inscription »: POST only; the service decides, the page only asks."""

    def post(self, request, activity_pk):
        activity = get_object_or_404(queries.open_activities(), pk=activity_pk)
        form = EnrolmentRequestForm(request.POST, family=self.family, activity=activity)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("inscriptions:home")
        child = form.cleaned_data["child"]
        try:
            enrolment = services.request_enrolment(
                self.family, child.pk, activity, form.cleaned_data["site"], request.user)
        except services.FileNotValidated as exc:
            messages.error(request, exc.messages[0])
            return redirect(exc.url)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(_home_anchor(activity.school_year_id, child.pk))
        names = {"child": child.first_name, "activity": activity.name,
                 "of_child": french.de(child.first_name),
                 "enrolled": french.agree(child.sex, "inscrit")}
        if enrolment.state == Enrolment.State.VALIDATED:
            messages.success(request, _("%(child)s est %(enrolled)s à %(activity)s : "
                                        "l'inscription est validée.") % names)
        else:
            messages.success(request, _("Demande d'inscription %(of_child)s à %(activity)s "
                                        "envoyée : le service l'examine, vous recevrez sa "
                                        "décision par e-mail.") % names)
        return redirect(_home_anchor(activity.school_year_id, child.pk))


class EnrolmentWithdrawView(FamilyMixin, View):
    """« Retirer l'inscription »: a confirmation page (no JavaScript needed), then a POST."""

    template_name = "inscriptions/enrolment_withdraw.html"

    def get_enrolment(self, pk):
        return get_object_or_404(
            queries.family_enrolments(self.family), pk=pk)

    def get(self, request, pk):
        enrolment = self.get_enrolment(pk)
        if not enrolment.is_active:
            messages.info(request, _("Cette inscription n'est plus en cours."))
            return redirect("inscriptions:home")
        return render(request, self.template_name, {"enrolment": enrolment})

    def post(self, request, pk):
        enrolment = self.get_enrolment(pk)
        try:
            services.withdraw_enrolment(self.family, enrolment.pk, request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("L'inscription de %(child)s à %(activity)s est "
                                        "retirée.") % {"child": enrolment.child.first_name,
                                                       "activity": enrolment.activity.name})
        return redirect(_home_anchor(enrolment.activity.school_year_id, enrolment.child_id))


class AnnualFileView(FamilyMixin, View):
    template_name = "inscriptions/annual_file.html"

    def get_objects(self, child_pk, year_pk):
        child = get_object_or_404(Child.objects.for_family(self.family), pk=child_pk)
        year = get_object_or_404(SchoolYear, pk=year_pk, published=True)  # a draft: 404
        annual_file = AnnualFile.objects.filter(child=child, school_year=year).first()
        return child, year, annual_file

    def get(self, request, child_pk, year_pk):
        child, year, annual_file = self.get_objects(child_pk, year_pk)
        if annual_file is None:
            return render(request, "inscriptions/annual_file_start.html",
                          {"child": child, "year": year})
        return self.render(annual_file, AnnualFileForm(annual_file=annual_file,
                                                          family=self.family))

    def post(self, request, child_pk, year_pk):
        child, year, annual_file = self.get_objects(child_pk, year_pk)
        if annual_file is None:
            try:
                services.start_annual_file(self.family, child, year, request.user)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                return redirect("inscriptions:home")
            return redirect("inscriptions:annual_file", child_pk=child.pk, year_pk=year.pk)
        if not annual_file.is_editable:  # a crafted post: the page offers no form
            messages.error(request, _("Ce dossier a été transmis au service : il ne peut plus "
                                      "être modifié."))
            return redirect("inscriptions:annual_file", child_pk=child.pk, year_pk=year.pk)
        form = AnnualFileForm(request.POST, request.FILES, annual_file=annual_file,
                              family=self.family)
        if not form.is_valid():
            return self.render(annual_file, form, status=400)
        try:
            saved = self.save(form, annual_file)
        except ValidationError as exc:
            # Not refreshed from the database: the list of what is missing speaks of the
            # answers just sent, which the form wrote into `annual_file`.
            form.add_service_error(exc)
            return self.render(annual_file, form, status=400)
        if "submit" not in request.POST:
            messages.success(request, _("Brouillon enregistré."))
        else:
            try:
                services.submit(self.family, saved, request.user)
            except ValidationError as exc:
                # The answers are saved; what they lack is listed once, on the page.
                messages.error(request, _("Brouillon enregistré, mais le dossier n'est pas "
                                          "transmis : il reste à faire ce qui est listé "
                                          "ci-dessous.") if rules.missing_items(saved)
                               else exc.messages[0])
            else:
                messages.success(request, _("Dossier transmis : il est en cours de "
                                            "traitement. Vous recevrez la décision par "
                                            "e-mail."))
        return redirect("inscriptions:annual_file", child_pk=child.pk, year_pk=year.pk)

    def save(self, form, annual_file):
        return services.save_draft(
            self.family, annual_file, form.model_data(), form.cleaned_data["authorised_contacts"],
            uploads=form.uploads(), user=self.request.user,
        )

    def render(self, annual_file, form, status=200):
        return render(self.request, self.template_name, {
            "annual_file": annual_file, "form": form, "child": annual_file.child,
            "year": annual_file.school_year, "missing": form.missing_items(annual_file),
            "attached_documents": queries.attached_documents(self.family, annual_file),
        }, status=status)
