"""One staff decision on what a family sent (an annual file, an enrolment request, an absence
justification), the same way for each: lock the row, check it still waits for a decision,
stamp the new state with who decided and when (and the words for the family), then tell the
family, whose e-mail goes in the outbox in the same transaction (ground module: it imports no
app)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone


@transaction.atomic
def decide(queryset, pk, *, waiting, state, staff_user, refusal, notify, comment=None,
           now=None):
    """Decide the object `pk` of `queryset` (whose model has `state`, `decided_by`,
    `decided_at` and `staff_comment`): from the state `waiting` to `state`. `refusal` is the
    message (or a function of the object giving it) when the object no longer waits;
    `comment`, when given, replaces the staff's comment; `notify(obj)` tells the family."""
    obj = queryset.select_for_update(of=("self",)).get(pk=pk)
    if obj.state != waiting:
        raise ValidationError(refusal(obj) if callable(refusal) else refusal)
    obj.state = state
    obj.decided_by = staff_user
    obj.decided_at = now or timezone.now()
    if comment is not None:
        obj.staff_comment = comment
    obj.save()
    notify(obj)
    return obj
