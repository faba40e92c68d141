"""Staff tools of the facturation app."""
