from .views import absences, allocation, calendar, feed, subscription

app_name = "reservations"

urlpatterns = (calendar.urlpatterns + absences.urlpatterns + subscription.urlpatterns
               + feed.urlpatterns + allocation.urlpatterns)
