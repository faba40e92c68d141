"""« Créer une inscription » and the dossier administratif, for parents."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from familles.models import Child
from familles.views import FamilyMixin

from . import services
from .forms import AnnualFileForm
from .models import AnnualFile, SchoolYear


class RegistrationHomeView(FamilyMixin, View):
    """For each child and each open school year, the file's state and what to do."""

    def get(self, request):
        years = list(SchoolYear.objects.open_for_files())
        rows = services.file_rows(list(Child.objects.for_family(self.family)), years)
        return render(request, "inscriptions/home.html", {"rows": rows, "years": years})


class AnnualFileView(FamilyMixin, View):
    template_name = "inscriptions/annual_file.html"

    def get_objects(self, child_pk, year_pk):
        child = get_object_or_404(Child.objects.for_family(self.family), pk=child_pk)
        year = get_object_or_404(SchoolYear, pk=year_pk)
        annual_file = AnnualFile.objects.filter(child=child, school_year=year).first()
        return child, year, annual_file

    def get(self, request, child_pk, year_pk):
        child, year, annual_file = self.get_objects(child_pk, year_pk)
        if annual_file is None:
            return render(request, "inscriptions/annual_file_start.html",
                          {"child": child, "year": year})
        return self.render(annual_file, AnnualFileForm(annual_file=annual_file))

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
        form = AnnualFileForm(request.POST, request.FILES, annual_file=annual_file)
        if not form.is_valid():
            return self.render(annual_file, form, status=400)
        try:
            annual_file = self.save(form, annual_file)
            if "submit" in request.POST:
                services.submit(self.family, annual_file, request.user)
                messages.success(request, _("Dossier transmis : il est en cours de traitement. "
                                            "Vous recevrez la décision par e-mail."))
            else:
                messages.success(request, _("Brouillon enregistré."))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            annual_file.refresh_from_db()
            return self.render(annual_file, form, status=400)
        return redirect("inscriptions:annual_file", child_pk=child.pk, year_pk=year.pk)

    def save(self, form, annual_file):
        return services.save_draft(
            self.family, annual_file, form.model_data(), form.cleaned_data["authorised_contacts"],
            uploads=form.uploads(), user=self.request.user,
        )

    def render(self, annual_file, form, status=200):
        return render(self.request, self.template_name, {
            "annual_file": annual_file, "form": form, "child": annual_file.child,
            "year": annual_file.school_year, "missing": services.missing_items(annual_file),
        }, status=status)
