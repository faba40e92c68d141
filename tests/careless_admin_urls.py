"""A careless admin, as a future change could write one: no health mixin, and a filter, a
search, a sort, an autocomplete and an inline that all reach the dossiers' allergies.
Mounted on a site of the same class as the portal's (`admin.site.__class__`), to show that the
portal's site guards whatever is registered on it."""

from django.contrib import admin
from django.urls import path

from familles.models import Child
from inscriptions.models import AnnualFile
from portail.urls import urlpatterns as portal_urlpatterns
from reservations.models import Reservation


class CarelessAnnualFileInline(admin.StackedInline):
    model = AnnualFile
    fields = ["school", "allergies", "health_notes"]
    extra = 0


class CarelessChildAdmin(admin.ModelAdmin):
    inlines = [CarelessAnnualFileInline]
    list_display = ["first_name", "last_name", "named_but_sorted_by_allergies"]
    list_filter = ["annual_files__allergies", "annual_files__diet"]
    search_fields = ["first_name", "annual_files__allergies", "annual_files__health_notes"]

    @admin.display(description="prénom", ordering="annual_files__allergies")
    def named_but_sorted_by_allergies(self, child):
        return child.first_name


class CarelessReservationAdmin(admin.ModelAdmin):
    autocomplete_fields = ["child"]
    list_filter = ["justification__reason", "child__annual_files__allergies"]


careless_site = admin.site.__class__(name="careless")
careless_site.register(Child, CarelessChildAdmin)
careless_site.register(Reservation, CarelessReservationAdmin)

urlpatterns = [path("careless/", careless_site.urls), *portal_urlpatterns]
