"""Tariffs by QF bracket and billing rules: the service sets them; a tariff is replaced by a
newer one, never deleted."""


from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from inscriptions.models import ActivityUnit

from ..exports import to_euros
from ..models import BillingRule, Tariff, TariffBracket, euros
from .fields import EurosField, euros_to_cents


class TariffBracketForm(forms.ModelForm):
    """Prices typed and shown in euros, stored in cents."""

    price = EurosField(label=_("prix commune (€)"))
    outside_price = EurosField(label=_("prix hors commune (€)"))

    class Meta:
        model = TariffBracket
        fields = ["qf_max", "price", "outside_price"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("price", to_euros(self.instance.price_cents))
            self.initial.setdefault("outside_price",
                                    to_euros(self.instance.outside_price_cents))

    def save(self, commit=True):
        self.instance.price_cents = euros_to_cents(self.cleaned_data["price"])
        self.instance.outside_price_cents = euros_to_cents(self.cleaned_data["outside_price"])
        return super().save(commit)


class TariffBracketFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [form for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        bounds = [form.cleaned_data.get("qf_max") for form in kept]
        if None not in bounds:
            raise ValidationError(_t("Ajoutez la tranche la plus haute (QF « jusqu'à » "
                                     "laissé vide) : elle s'applique au-delà des autres."))
        if bounds.count(None) > 1 or len(set(bounds)) < len(bounds):
            raise ValidationError(_t("Deux tranches ont la même limite de QF."))


class TariffBracketInline(admin.TabularInline):
    model = TariffBracket
    form = TariffBracketForm
    formset = TariffBracketFormSet
    extra = 3
    fields = ["qf_max", "price", "outside_price"]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.activity.name} ({unit.activity.school_year}) – {unit.label}"


class TariffForm(forms.ModelForm):
    unit = UnitChoiceField(
        label=_("unité"), queryset=ActivityUnit.objects.select_related(
            "activity__school_year").order_by("-activity__school_year__start_date",
                                              "activity__name", "position"))

    class Meta:
        model = Tariff
        fields = ["unit", "valid_from", "sibling_reduction_percent"]


@admin.register(Tariff)
class TariffAdmin(SimpleHistoryAdmin):
    form = TariffForm
    inlines = [TariffBracketInline]
    list_display = ["unit_label", "activity", "school_year", "valid_from", "prices",
                    "sibling_reduction_percent"]
    list_filter = ["unit__activity__school_year", "unit__activity"]
    list_select_related = ["unit__activity__school_year"]
    search_fields = ["unit__activity__name", "unit__label"]
    date_hierarchy = "valid_from"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("brackets")

    def has_delete_permission(self, request, obj=None):
        return False  # a newer tariff (from a later date) replaces it

    @admin.display(description=_("unité"), ordering="unit__label")
    def unit_label(self, tariff):
        return tariff.unit.label

    @admin.display(description=_("activité"), ordering="unit__activity__name")
    def activity(self, tariff):
        return tariff.unit.activity.name

    @admin.display(description=_("année scolaire"),
                   ordering="unit__activity__school_year__start_date")
    def school_year(self, tariff):
        return tariff.unit.activity.school_year

    @admin.display(description=_("prix par tranche (commune / hors commune)"))
    def prices(self, tariff):
        parts = []
        for bracket in tariff.brackets.all():
            bound = (_t("au-delà") if bracket.qf_max is None
                     else _t("QF ≤ %(qf)s €") % {"qf": bracket.qf_max})
            parts.append(f"{bound} : {euros(bracket.price_cents)} / "
                         f"{euros(bracket.outside_price_cents)}")
        return " · ".join(parts) or "–"


@admin.register(BillingRule)
class BillingRuleAdmin(SimpleHistoryAdmin):
    list_display = ["activity", "bill_unjustified_absence", "bill_late_cancellation",
                    "bill_in_advance"]
    list_filter = ["activity__school_year", "bill_unjustified_absence", "bill_late_cancellation",
                   "bill_in_advance"]
    list_select_related = ["activity__school_year"]
    search_fields = ["activity__name"]  # without a rule, an activity bills both

    def has_delete_permission(self, request, obj=None):
        return False
