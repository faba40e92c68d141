"""Parent pages and the Stripe webhook; each module declares its own `urlpatterns`."""
