from .views import invoices, payments

app_name = "facturation"

urlpatterns = invoices.urlpatterns + payments.urlpatterns
