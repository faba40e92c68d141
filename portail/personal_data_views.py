"""A household's data export, its pages (thin: portail.personal_data decides)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from familles.access import family_of

from . import personal_data

PROFILE = "familles:profile"


def own_family(request):
    """The requesting guardian's household; 404 for an account without one."""
    family = family_of(request.user)
    if family is None:
        raise Http404
    return family


@login_required
@require_POST
def request_data_export(request):
    """« Télécharger toutes nos données », from « Profil »."""
    family = own_family(request)
    try:
        personal_data.request_export(request.user, family)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Votre demande est enregistrée : vous recevrez par e-mail "
                                    "le lien de téléchargement dès que la copie sera prête."))
    return redirect(PROFILE)


@login_required
def download_data_export(request, pk):
    """The ZIP, to a guardian of its household only (404 to anyone else), until it expires."""
    family = own_family(request)
    try:
        export = personal_data.open_export(request.user, family, pk)
    except personal_data.ExportExpired:
        return render(request, "portail/data_export_expired.html", status=410)
    if export is None:
        raise Http404
    response = FileResponse(export.file.open("rb"), as_attachment=True,
                            filename=f"donnees-{export.requested_at:%Y-%m-%d}.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response
