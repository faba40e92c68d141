"""Parent pages: subscription (placeholder until written)."""

urlpatterns = []
