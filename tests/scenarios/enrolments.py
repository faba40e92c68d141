"""The year's catalogue and who is in it: school years and their re-registration campaign,
dossiers administratifs (annual files), sites, activities and enrolments.

- `SchoolYearFactory` (its campaign open now), `previous_school_year(year)`.
- `AnnualFileFactory`: a complete dossier, still a draft; traits `submitted`, `validated`.
- `SiteFactory`, `ActivityFactory` (a Wednesday leisure centre; traits `canteen`, `care`,
  `staff_validated`), `EnrolmentFactory` (validated, at the activity's first site).
"""

import datetime

import factory
from django.utils import timezone

from familles.models import Document
from inscriptions.models import AnnualFile, SchoolYear
from tests.scenarios.accounts import UserFactory
from tests.scenarios.families import ChildFactory, DocumentFactory

RULES_VERSION = "2026-1"


class SchoolYearFactory(factory.django.DjangoModelFactory):
    """A school year whose re-registration campaign is open now (by default, next year's)."""

    class Meta:
        model = SchoolYear

    class Params:
        # Kept within a few years of today: the `holidays` package only knows the school
        # calendars already published, and a climbing sequence would leave them behind.
        start_year = factory.Sequence(lambda n: timezone.localdate().year + 1 + n % 40)

    label = factory.LazyAttribute(lambda o: f"{o.start_year}-{o.start_year + 1}")
    start_date = factory.LazyAttribute(lambda o: datetime.date(o.start_year, 9, 1))
    end_date = factory.LazyAttribute(lambda o: datetime.date(o.start_year + 1, 8, 31))
    reregistration_opens_at = factory.LazyFunction(
        lambda: timezone.now() - datetime.timedelta(days=1))
    reregistration_deadline = factory.LazyAttribute(
        lambda o: o.reregistration_opens_at + datetime.timedelta(days=45))
    rules_version = RULES_VERSION


def previous_school_year(year: SchoolYear, **kwargs) -> SchoolYear:
    """The year before ``year``, its campaign long closed."""
    start_year = year.start_date.year - 1
    opens = year.reregistration_opens_at - datetime.timedelta(days=365)
    return SchoolYearFactory(
        start_year=start_year, reregistration_opens_at=opens,
        reregistration_deadline=opens + datetime.timedelta(days=45),
        rules_version=f"{start_year}-1", **kwargs,
    )


class AnnualFileFactory(factory.django.DjangoModelFactory):
    """A complete dossier administratif, still a draft: ready to be submitted."""

    class Meta:
        model = AnnualFile
        skip_postgeneration_save = True

    child = factory.SubFactory(ChildFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    state = AnnualFile.State.DRAFT

    vaccinations_up_to_date = True
    vaccination_document = factory.SubFactory(
        DocumentFactory, family=factory.SelfAttribute("..child.family"),
        child=factory.SelfAttribute("..child"), kind=Document.Kind.VACCINATION,
        original_name="carnet-de-vaccination.pdf",
    )
    allergies = "Arachide"
    diet = AnnualFile.Diet.NO_PORK
    doctor_name = "Dr Le Gall"
    doctor_phone = "02 97 11 22 33"
    health_notes = "Asthme léger : ventoline dans le sac."

    school = factory.SelfAttribute("child.school")
    school_class = factory.SelfAttribute("child.school_class")
    photo_consent = True
    outings_consent = True
    emergency_care_consent = True

    allowance_body = AnnualFile.AllowanceBody.CAF
    allowance_number = "1234567"
    income_document = factory.SubFactory(
        DocumentFactory, family=factory.SelfAttribute("..child.family"),
        kind=Document.Kind.TAX_NOTICE, original_name="avis-imposition.pdf",
    )

    rules_version_accepted = factory.SelfAttribute("school_year.rules_version")
    rules_accepted_at = factory.LazyFunction(timezone.now)

    class Params:
        submitted = factory.Trait(
            state=AnnualFile.State.SUBMITTED,
            submitted_at=factory.LazyFunction(timezone.now),
        )
        validated = factory.Trait(
            state=AnnualFile.State.VALIDATED,
            submitted_at=factory.LazyFunction(timezone.now),
            decided_at=factory.LazyFunction(timezone.now),
        )


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inscriptions.Site"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"École des Tilleuls {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    """A Wednesday leisure centre, enrolment validated automatically, one site, one unit
    « Journée ». Traits: canteen (Mon, Tue, Thu, Fri, subscription allowed), care (no
    reservation), staff_validated."""

    class Meta:
        model = "inscriptions.Activity"
        skip_postgeneration_save = True

    class Params:
        canteen = factory.Trait(kind="canteen", days="school_days", weekdays=[0, 1, 3, 4],
                                allows_subscription=True, name=factory.Sequence(
                                    lambda n: f"Restauration scolaire {n}"))
        care = factory.Trait(kind="care", days="school_days", weekdays=[0, 1, 3, 4],
                             needs_reservation=False,
                             name=factory.Sequence(lambda n: f"Accueil périscolaire {n}"))
        staff_validated = factory.Trait(validation="staff")

    school_year = factory.SubFactory(SchoolYearFactory)
    kind = "alsh_wednesday"
    name = factory.Sequence(lambda n: f"Accueil de loisirs du mercredi {n}")
    days = "wednesdays"
    weekdays = factory.LazyFunction(list)
    validation = "automatic"
    needs_reservation = True

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if not create:
            return
        self.sites.set(extracted if extracted is not None else [SiteFactory()])

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        if not create:
            return
        labels = extracted if extracted is not None else (
            ["Repas"] if self.kind == "canteen" else ["Matin", "Soir"] if self.kind == "care"
            else ["Journée"])
        for position, label in enumerate(labels):
            self.units.create(label=label, position=position)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """A validated enrolment at the activity's first site."""

    class Meta:
        model = "inscriptions.Enrolment"

    child = factory.SubFactory(ChildFactory)
    activity = factory.SubFactory(ActivityFactory)
    site = factory.LazyAttribute(lambda o: o.activity.sites.first())
    state = "validated"
    requested_by = factory.SubFactory(UserFactory)
    decided_at = factory.LazyFunction(timezone.now)
