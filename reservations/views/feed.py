"""Parent pages: feed (placeholder until written)."""

urlpatterns = []
