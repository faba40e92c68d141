from .views import attestations, invoices, mandates, online, payments

app_name = "facturation"

urlpatterns = (invoices.urlpatterns + payments.urlpatterns + online.urlpatterns
               + attestations.urlpatterns + mandates.urlpatterns)
