from .views import attestations, invoices, payments

app_name = "facturation"

urlpatterns = invoices.urlpatterns + payments.urlpatterns + attestations.urlpatterns
