"""The booking summaries (reservations/services/summaries.py), as beat sends them.

- `send_summaries()`: beat's job run once every household has been quiet for the commune's
  minutes after the last change recorded; returns the number of messages written.
- `quiet_after(moment)`: the first moment a session whose last change was at `moment` is over.
"""

from django.db.models import Max

from reservations.models import SummaryLine
from reservations.services import summaries


def quiet_after(moment):
    return moment + summaries.quiet_time()


def send_summaries() -> int:
    last = SummaryLine.objects.aggregate(last=Max("at"))["last"]
    if last is None:
        return 0
    return summaries.send_due(now=quiet_after(last))
