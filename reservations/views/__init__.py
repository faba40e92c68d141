"""The parent pages of the reservations app, one module per page family; each module
declares its own `urlpatterns`, gathered by `reservations/urls.py`."""
