from .views import attestations, invoices, mandates, payments

app_name = "facturation"

urlpatterns = (invoices.urlpatterns + payments.urlpatterns + attestations.urlpatterns
               + mandates.urlpatterns)
