"""The staff's form for a message to families (roof)."""

from django import forms
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from .audiences import school_names
from .models import Message

# What each audience needs, beside the message itself (the others are cleared).
AUDIENCE_FIELDS = {
    Message.Audience.ACTIVITY: ("activity",),
    Message.Audience.SITE: ("site",),
    Message.Audience.DAY: ("day", "activity"),
    Message.Audience.SCHOOL: ("school",),
    Message.Audience.UNPAID: (),
    Message.Audience.FILES_PENDING: ("school_year",),
}
REQUIRED = {
    Message.Audience.ACTIVITY: ("activity", _("Choisissez l'activité.")),
    Message.Audience.SITE: ("site", _("Choisissez le lieu d'accueil.")),
    Message.Audience.DAY: ("day", _("Indiquez le jour des réservations.")),
    Message.Audience.SCHOOL: ("school", _("Choisissez l'école.")),
    Message.Audience.FILES_PENDING: ("school_year", _("Choisissez l'année scolaire.")),
}
OPTIONAL_FIELDS = ("activity", "site", "day", "school", "school_year")


class MessageForm(forms.ModelForm):
    school = forms.ChoiceField(label=_("école"), required=False)

    class Meta:
        model = Message
        fields = ["kind", "subject", "body", "audience", *OPTIONAL_FIELDS]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {"body": _("Texte envoyé tel quel, par e-mail ou par courrier pour les "
                                "familles sans adresse e-mail. Il est aussi affiché sur "
                                "le tableau de bord des familles.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schools = school_names()
        current = self.instance.school
        if current and current not in schools:
            schools.append(current)
        self.fields["school"].choices = [("", "---------")] + [(s, s) for s in schools]
        activity = self.fields.get("activity")  # absent from a sent message's read-only page
        if activity is not None:
            activity.queryset = activity.queryset.select_related("school_year").order_by(
                "-school_year__start_date", "name")

    def clean(self):
        data = super().clean()
        audience = data.get("audience")
        if audience in REQUIRED:
            name, error = REQUIRED[audience]
            if not data.get(name):
                self.add_error(name, _t(error))
        # An audience's details only: nothing of another choice is kept by mistake.
        kept = AUDIENCE_FIELDS.get(audience, ())
        for name in OPTIONAL_FIELDS:
            if name not in kept:
                data[name] = "" if name == "school" else None
        return data


class ErasureRequestForm(forms.Form):
    """A guardian asks to close the account (« Profil » → « Fermer mon compte… »)."""

    confirm = forms.BooleanField(
        label=_("J'ai compris : mon compte sera fermé et ces données effacées, sans retour en "
                "arrière possible."),
        error_messages={"required": _("Cochez la case pour confirmer votre demande.")})
    message = forms.CharField(
        label=_("Un message pour le service (facultatif)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}))
