"""The list of the children enrolled in an activity, for the staff, as CSV or XLSX.

Allergies, diet and PAI go into the file only for staff holding `inscriptions.view_health_data`,
and each dossier whose health data leaves the portal this way is recorded in `HealthDataAccess`
(GDPR art. 9), in the same transaction as the reading."""


from django import forms
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats

from familles.models import Contact, Guardian
from ground.spreadsheets import safe_cell

from .models import Activity, AnnualFile, Enrolment, HealthDataAccess, SchoolLevel, Site

FORMATS = {"xlsx": base_formats.XLSX, "csv": base_formats.CSV}
HEALTH_COLUMNS = ["allergies", "diet", "pai"]


def can_export_health_data(user) -> bool:
    return user.has_perm("inscriptions.view_health_data")


def _join(values) -> str:
    return " ; ".join(v for v in values if v)


class ExportForm(forms.Form):
    activity = forms.ModelChoiceField(
        queryset=Activity.objects.select_related("school_year").order_by(
            "-school_year__start_date", "name"),
        label=gettext_lazy("Activité"))
    site = forms.ModelChoiceField(
        queryset=Site.objects.all(), required=False, label=gettext_lazy("Lieu"),
        empty_label=gettext_lazy("Tous les lieux de l'activité"))
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"), initial="xlsx", widget=forms.RadioSelect,
        choices=[("xlsx", gettext_lazy("Tableur (XLSX)")),
                 ("csv", gettext_lazy("CSV (séparateur point-virgule, UTF-8)"))])


class EnrolledChildResource(resources.Resource):
    """One row per child with a validated enrolment; `files` maps child id to his file."""

    last_name = Field(column_name=gettext_lazy("Nom"))
    first_name = Field(column_name=gettext_lazy("Prénom"))
    birth_date = Field(column_name=gettext_lazy("Date de naissance"))
    age = Field(column_name=gettext_lazy("Âge"))
    school = Field(column_name=gettext_lazy("École"))
    school_class = Field(column_name=gettext_lazy("Classe"))
    school_level = Field(column_name=gettext_lazy("Niveau"))
    site = Field(column_name=gettext_lazy("Lieu"))
    family = Field(column_name=gettext_lazy("Famille"))
    guardians = Field(column_name=gettext_lazy("Responsables légaux"))
    phones = Field(column_name=gettext_lazy("Téléphones des responsables"))
    emails = Field(column_name=gettext_lazy("E-mails des responsables"))
    pick_up = Field(column_name=gettext_lazy("Personnes autorisées à venir chercher l'enfant"))
    allergies = Field(column_name=gettext_lazy("Allergies"))
    diet = Field(column_name=gettext_lazy("Régime alimentaire"))
    pai = Field(column_name=gettext_lazy("PAI"))

    class Meta:
        export_order = ["last_name", "first_name", "birth_date", "age", "school",
                        "school_class", "school_level", "site", "family", "guardians", "phones",
                        "emails", "pick_up", *HEALTH_COLUMNS]

    def __init__(self, files: dict, today, **kwargs):
        super().__init__(**kwargs)
        self.files, self.today = files, today

    def _file(self, enrolment) -> AnnualFile | None:
        return self.files.get(enrolment.child_id)

    @staticmethod
    def _guardians(enrolment) -> list[Guardian]:
        child = enrolment.child
        families = [child.family] + ([child.second_family] if child.second_family else [])
        return [g for family in families for g in family.guardians.all()]

    def dehydrate_last_name(self, enrolment):
        return safe_cell(enrolment.child.last_name)

    def dehydrate_first_name(self, enrolment):
        return safe_cell(enrolment.child.first_name)

    def dehydrate_birth_date(self, enrolment):
        return enrolment.child.birth_date.strftime("%d/%m/%Y")

    def dehydrate_age(self, enrolment):
        return enrolment.child.age_on(self.today)

    def dehydrate_school(self, enrolment):
        annual_file = self._file(enrolment)
        return safe_cell(annual_file.school if annual_file else enrolment.child.school)

    def dehydrate_school_class(self, enrolment):
        annual_file = self._file(enrolment)
        return safe_cell(annual_file.school_class if annual_file else enrolment.child.school_class)

    def dehydrate_school_level(self, enrolment):
        annual_file = self._file(enrolment)
        if annual_file is None or annual_file.school_level is None:
            return ""
        return str(SchoolLevel(annual_file.school_level).label)

    def dehydrate_site(self, enrolment):
        return enrolment.site.name

    def dehydrate_family(self, enrolment):
        child = enrolment.child
        return safe_cell(_join([child.family.name,
                            child.second_family.name if child.second_family else ""]))

    def dehydrate_guardians(self, enrolment):
        return safe_cell(_join(f"{g.first_name} {g.last_name} ({g.get_relation_display()})"
                           for g in self._guardians(enrolment)))

    def dehydrate_phones(self, enrolment):
        return safe_cell(_join(
            f"{g.first_name} : " + ", ".join(p for p in (g.mobile_phone, g.home_phone,
                                                         g.work_phone) if p)
            for g in self._guardians(enrolment)))

    def dehydrate_emails(self, enrolment):
        return safe_cell(_join(g.user.email for g in self._guardians(enrolment)))

    def dehydrate_pick_up(self, enrolment):
        annual_file = self._file(enrolment)
        contacts = annual_file.authorised_contacts.all() if annual_file else []
        return safe_cell(_join(f"{c.first_name} {c.last_name} ({c.relation}) {c.phone}"
                           for c in contacts if c.can_pick_up))

    def dehydrate_allergies(self, enrolment):
        annual_file = self._file(enrolment)
        return safe_cell(annual_file.allergies.strip()) if annual_file else ""

    def dehydrate_diet(self, enrolment):
        annual_file = self._file(enrolment)
        return str(annual_file.get_diet_display()) if annual_file else ""

    def dehydrate_pai(self, enrolment):
        annual_file = self._file(enrolment)
        if annual_file is None:
            return ""
        return _("Oui") if annual_file.has_pai else _("Non")


def enrolled_children(activity: Activity, site: Site | None = None) -> list[Enrolment]:
    """The validated enrolments of an activity (at one site or all), in a fixed number of
    queries, sorted by site then name."""
    guardians = Guardian.objects.select_related("user").order_by("pk")
    qs = Enrolment.objects.filter(activity=activity, state=Enrolment.State.VALIDATED)
    if site is not None:
        qs = qs.filter(site=site)
    return list(qs.select_related("child__family", "child__second_family", "site")
                .prefetch_related(Prefetch("child__family__guardians", queryset=guardians),
                                  Prefetch("child__second_family__guardians",
                                           queryset=guardians))
                .order_by("site__name", "child__last_name", "child__first_name", "pk"))


@transaction.atomic
def export_children(activity: Activity, site: Site | None, user, file_format: str):
    """The file's content (bytes for XLSX, text for CSV); records the health-data access."""
    enrolments = enrolled_children(activity, site)
    files = {f.child_id: f for f in AnnualFile.objects.filter(
        school_year_id=activity.school_year_id, child__in=[e.child_id for e in enrolments],
    ).prefetch_related(Prefetch("authorised_contacts",
                                queryset=Contact.objects.order_by("last_name", "first_name")))}
    with_health = can_export_health_data(user)
    resource = EnrolledChildResource(files, timezone.localdate())
    names = [name for name in resource.get_export_order()
             if with_health or name not in HEALTH_COLUMNS]
    dataset = resource.export(enrolments, export_fields=names)
    dataset.title = activity.name[:31]
    if with_health:
        HealthDataAccess.objects.bulk_create(
            HealthDataAccess(annual_file=files[e.child_id], user=user,
                             action=HealthDataAccess.Action.EXPORT,
                             health_fields="allergies, diet, has_pai")
            for e in enrolments if e.child_id in files)
    if file_format == "csv":
        # Excel in French reads semicolons, and UTF-8 only with a byte-order mark.
        return "\ufeff" + dataset.export("csv", delimiter=";")
    return FORMATS[file_format]().export_data(dataset)


def export_response(activity: Activity, site: Site | None, file_format: str, user):
    content = export_children(activity, site, user, file_format)
    export_format = FORMATS[file_format]()
    parts = ["inscrits", activity.name, site.name if site else "", str(activity.school_year)]
    filename = slugify("-".join(p for p in parts if p)) + "." + export_format.get_extension()
    content_type = export_format.get_content_type()
    if file_format == "csv":
        content_type += "; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
