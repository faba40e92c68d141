from django.db import models
from django.utils.translation import gettext_lazy as _


class SchoolLevel(models.IntegerChoices):
    """French school levels, numbered in order so that ranges compare."""

    TPS = 1, _("Toute petite section")
    PS = 2, _("Petite section")
    MS = 3, _("Moyenne section")
    GS = 4, _("Grande section")
    CP = 5, _("CP")
    CE1 = 6, _("CE1")
    CE2 = 7, _("CE2")
    CM1 = 8, _("CM1")
    CM2 = 9, _("CM2")
    SIXIEME = 10, _("6e")
    CINQUIEME = 11, _("5e")
    QUATRIEME = 12, _("4e")
    TROISIEME = 13, _("3e")
