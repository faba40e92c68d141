from .views import attestations, invoices, online, payments

app_name = "facturation"

urlpatterns = (invoices.urlpatterns + payments.urlpatterns + online.urlpatterns
               + attestations.urlpatterns)
