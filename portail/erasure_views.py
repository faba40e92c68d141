"""The right to erasure, the parent's pages (thin: portail.erasure decides)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import erasure
from .erasure_plan import plan_for
from .forms import ErasureRequestForm
from .personal_data_views import PROFILE, own_family


@login_required
def erasure_request(request):
    """« Fermer mon compte et effacer nos données »: what goes, what the law keeps, then the
    confirmed request."""
    family = own_family(request)
    form = ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure.request_erasure(request.user, family, confirmed=form.cleaned_data["confirm"],
                                    message=form.cleaned_data["message"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Votre demande est enregistrée : le service l'examine "
                                        "et vous répond par e-mail. Vous pouvez l'annuler "
                                        "d'ici là."))
        return redirect(PROFILE)
    return render(request, "portail/erasure_request.html", {
        "form": form, "plan": plan_for(request.user),
        "pending": erasure.pending_for(request.user)})


@login_required
@require_POST
def erasure_cancel(request, pk):
    """« Annuler ma demande », from « Profil »: the account's own request only (404)."""
    family = own_family(request)
    try:
        cancelled = erasure.cancel_erasure(request.user, family, pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(PROFILE)
    if cancelled is None:
        raise Http404
    messages.success(request, _("Votre demande de fermeture du compte est annulée."))
    return redirect(PROFILE)
