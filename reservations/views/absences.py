"""Parent pages: absences (placeholder until written)."""

urlpatterns = []
