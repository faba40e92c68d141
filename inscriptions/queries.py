"""Read side of the inscriptions app: what the parent's pages and the dashboard show (the
files of the open years, the activity catalogue with each child's enrolment or why he cannot
enrol, a file's documents and contacts) and the quotient in force on a day."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from familles.households import households_of
from familles.models import Child, Contact, Document, Family
from ground import rows

from .models import Activity, AnnualFile, Enrolment, FamilyQuotient, SchoolYear
from .rules import DOCUMENT_FIELDS, file_refusal, reasons_not_eligible


def file_rows(children, years=None) -> list[dict]:
    """For each open school year and each child: the file, or None if not started."""
    if years is None:
        years = list(SchoolYear.objects.open_for_files())
    existing = {
        (f.child_id, f.school_year_id): f
        for f in AnnualFile.objects.filter(child__in=children, school_year__in=years)
    }
    return [
        {"child": child, "year": year, "file": existing.get((child.pk, year.pk))}
        for year in years for child in children
    ]


def attached_documents(family: Family, annual_file: AnnualFile) -> list[str]:
    """The file's documents as this household may read them: by name when it may see them,
    by kind only when the other home attached one of its own."""
    documents = [getattr(annual_file, field) for field in DOCUMENT_FIELDS
                 if getattr(annual_file, f"{field}_id")]
    visible = set(Document.objects.for_child_file(family, annual_file.child).filter(
        pk__in=[d.pk for d in documents]).values_list("pk", flat=True))
    return [str(d) if d.pk in visible
            else _("%(kind)s (joint par l'autre foyer)") % {"kind": d.get_kind_display()}
            for d in documents]


def family_quotient_on(family: Family, day) -> FamilyQuotient | None:
    """The quotient in force on a day: the most recently set one covering it."""
    return (
        FamilyQuotient.objects.filter(family=family, valid_from__lte=day, valid_until__gte=day)
        .order_by("-set_at").first()
    )


def contacts_for_child(child):
    return Contact.objects.filter(family__in=households_of(child))


@dataclass
class CatalogueRow:
    activity: Activity
    enrolment: Enrolment | None = None
    reasons: list[str] = field(default_factory=list)
    file_url: str = ""

    @property
    def can_request(self) -> bool:
        return not self.reasons and (self.enrolment is None or not self.enrolment.is_active)


def _file_reason(child, year, annual_file) -> tuple[str, str]:
    """The gate of issue 3, reused so that every page says the same thing."""
    refusal = file_refusal(child, year, annual_file)
    return ("", "") if refusal is None else (refusal.messages[0], refusal.url)


def catalogue(family: Family, children, year: SchoolYear, today=None) -> list[dict]:
    """For each child: every activity of the year, with his enrolment or why he cannot enrol."""
    children = list(children)
    activities = list(Activity.objects.filter(school_year=year).select_related("school_year")
                      .prefetch_related("sites"))
    files = {f.child_id: f for f in AnnualFile.objects.filter(child__in=children,
                                                              school_year=year)}
    enrolments = latest_enrolments(children, [year])
    documents = list(Document.objects.filter(family__in=households_of(*children)))
    result = []
    for child in children:
        annual_file = files.get(child.pk)
        file_message, file_url = _file_reason(child, year, annual_file)
        rows = []
        for activity in activities:
            row = CatalogueRow(activity, enrolments.get((child.pk, activity.pk)))
            if row.enrolment is None or not row.enrolment.is_active:
                row.reasons = reasons_not_eligible(child, activity, annual_file, documents,
                                                   today)
                if file_message:
                    row.reasons.insert(0, file_message)
                    row.file_url = file_url
            rows.append(row)
        result.append({"child": child, "rows": rows, "file_message": file_message,
                       "file_url": file_url})
    return result


def latest_enrolments(children, years) -> dict[tuple[int, int], Enrolment]:
    """Each child's latest enrolment in each activity of the years, keyed by (child id,
    activity id), in the order of the activities' names: an activity can be asked for again
    after a refusal or a withdrawal. One query."""
    latest = {}
    by_id = {child.pk: child for child in children}
    for enrolment in Enrolment.objects.filter(
            child__in=children, activity__school_year__in=years,
    ).select_related("activity__school_year", "site").order_by(
            "activity__name", "activity_id", "requested_at", "pk"):
        enrolment.child = by_id[enrolment.child_id]  # already read: no query per row
        latest[(enrolment.child_id, enrolment.activity_id)] = enrolment
    return latest


def open_activities():
    """The activities of the school years whose files are open."""
    return Activity.objects.filter(
        school_year__in=SchoolYear.objects.open_for_files()).select_related("school_year")


def family_enrolments(family: Family):
    """The enrolments of the family's children (either household)."""
    return Enrolment.objects.filter(child__in=Child.objects.for_family(family)).select_related(
        "child", "activity__school_year", "site")


def files_of(child_ids, year_ids) -> list[AnnualFile]:
    """The children's files of these school years, newest first."""
    if not child_ids or not year_ids:
        return []
    sql = (f"SELECT {rows.select(AnnualFile, 'f')} FROM {rows.table(AnnualFile)} f "  # noqa: S608
           f"WHERE f.child_id IN ({rows.placeholders(child_ids)}) "
           f"AND f.school_year_id IN ({rows.placeholders(year_ids)}) ORDER BY f.id DESC")
    return [rows.instance(AnnualFile, row)
            for row in rows.fetch(sql, [*child_ids, *year_ids])]
