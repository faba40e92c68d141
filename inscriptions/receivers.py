"""Reactions to the ground's signals (it cannot import us: data flows one way)."""

from .models import AnnualFile
from .services import record_health_access


def on_health_data_accessed(sender, request, obj, action, fields, **kwargs):
    """The admin's health-data guard reports an access by staff allowed to it: journal it."""
    record_health_access(obj if isinstance(obj, AnnualFile) else None, request.user, obj=obj,
                         model=sender, action=action, fields=fields, path=request.path)
