"""Staff tools of the inscriptions app, one module per concept: the review of dossiers
administratifs and the year's settings (files.py), the activity catalogue and enrolment
decisions with their exports (activities.py)."""

from . import activities, files  # noqa: F401  (they register)
