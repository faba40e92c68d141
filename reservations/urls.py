from .views import absences, calendar, feed, subscription

app_name = "reservations"

urlpatterns = (calendar.urlpatterns + absences.urlpatterns + subscription.urlpatterns
               + feed.urlpatterns)
