"""Reads of the family's one-screen page for the staff (the roof: it gathers every app).

A fixed number of queries whatever the size of the family: each list is one query (a few are
bounded with a slice). Nothing of health is read: no file answers beyond its state, no
health document, no message sealed for its health content."""

from django.utils import timezone

from facturation.models import euros
from facturation.queries import family_invoices, with_status
from familles.models import Child, Document, Family, FamilyEvent, Guardian, Letter
from ground.models import OutboxMessage
from ground.outbox_queries import addressed_to
from inscriptions.models import AnnualFile, Enrolment, SchoolYear
from reservations.models import Reservation

NEXT_BOOKINGS = 15
RECENT = 15


def guardian_rows(family: Family) -> list[dict]:
    rows = []
    for guardian in Guardian.objects.filter(family=family).select_related("user"):
        user = guardian.user
        rows.append({
            "guardian": guardian,
            "email": user.email if user else "",
            # A login made at the counter waits for its owner to choose his password.
            "has_access": bool(user and user.has_usable_password()),
            "by_letter": user is None,
        })
    return rows


def file_grid(children: list[Child], years: list[SchoolYear]) -> list[dict]:
    """Per child, per school year open for files: its file (or None)."""
    files = {(f.child_id, f.school_year_id): f for f in AnnualFile.objects.filter(
        child__in=children, school_year__in=years).only(
        "id", "child_id", "school_year_id", "state", "submitted_at", "decided_at")}
    return [{"child": child,
             "files": [{"year": year, "file": files.get((child.pk, year.pk))} for year in years]}
            for child in children]


def next_bookings(children: list[Child], today) -> list[Reservation]:
    return list(Reservation.objects.filter(
        child__in=children, slot__date__gte=today,
        state__in=[Reservation.State.CONFIRMED, Reservation.State.WAITING],
    ).select_related("child", "slot__activity", "slot__unit", "slot__site").order_by(
        "slot__date", "child__first_name", "pk")[:NEXT_BOOKINGS])


def messages_sent(family: Family, emails: list[str]) -> list[OutboxMessage]:
    """The outbox messages to the household's guardians (subject, date, state: never a body),
    newest first."""
    if not emails:
        return []
    return list(OutboxMessage.objects.filter(addressed_to(emails)).only(
        "id", "created_at", "subject", "status", "sent_at", "template", "content", "to",
    ).order_by("-created_at")[:RECENT])


def family_page(family: Family, *, show_health_documents=False, show_invoices=True,
                show_emails=True, show_letters=True) -> dict:
    """The page's lists; a section the staff member may not view is None (not read)."""
    today = timezone.localdate()
    guardians = guardian_rows(family)
    children = list(Child.objects.for_family(family).order_by("first_name", "pk"))
    years = list(SchoolYear.objects.open_for_files().order_by("start_date"))
    invoices = balance_text = None
    if show_invoices:
        invoices = with_status(family_invoices(family)[:RECENT], today)
        # Owed on every issued invoice, not only the recent ones shown.
        balance_text = euros(sum(max(0, b) for b in family_invoices(family).values_list(
            "balance", flat=True)))
    documents = Document.objects.filter(family=family).select_related("child", "uploaded_by")
    if not show_health_documents:
        documents = documents.exclude(kind__in=Document.HEALTH_KINDS)
    return {
        "guardians": guardians,
        "children": children,
        "years": years,
        "file_grid": file_grid(children, years),
        "enrolments": list(Enrolment.objects.filter(child__in=children).select_related(
            "child", "activity__school_year", "site").order_by(
            "-activity__school_year__start_date", "child__first_name", "activity__name")),
        "next_bookings": next_bookings(children, today),
        "invoices": invoices,
        "balance_text": balance_text,
        "documents": list(documents.defer("file")[:RECENT]),
        "messages_sent": messages_sent(family, [g["email"] for g in guardians if g["email"]])
        if show_emails else None,
        "letters": list(Letter.objects.filter(family=family).only(
            "id", "family_id", "subject", "created_at", "printed_at").order_by(
            "-created_at", "-pk")[:RECENT]) if show_letters else None,
        "events": list(FamilyEvent.objects.filter(family=family).order_by("-at", "-pk")[
            :RECENT]),
    }
