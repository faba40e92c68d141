"""Demo data: a commune like the brochure's, its staff and three families with known logins.

Idempotent: running it again finds what exists and changes nothing. Later capabilities add
their own part (school year, activities…) to `seed()`.
"""

import datetime

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from familles.models import Child, Contact, Document, Family, Guardian, User
from inscriptions import services as inscriptions
from inscriptions.models import AnnualFile, SchoolYear

from .staff import ensure_staff_group

DEMO_PASSWORD = "portail-demo-2026"
STAFF_EMAIL = "agent@mairie.example"
ADMIN_EMAIL = "admin@mairie.example"


def _user(email, *, staff=False, superuser=False):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, is_staff=staff or superuser, is_superuser=superuser)
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _family(name, guardians, children, contacts=()):
    family = Family.objects.filter(name=name).first()
    if family is not None:
        return family, list(family.children.all())
    family = Family.objects.create(name=name, address="3 rue des Mimosas", postal_code="56000",
                                   city="Kerbrume")
    for email, first, last, relation in guardians:
        Guardian.objects.create(user=_user(email), family=family, first_name=first,
                                last_name=last, relation=relation, mobile_phone="06 11 22 33 44")
    kids = [Child.objects.create(family=family, **child) for child in children]
    for contact in contacts:
        Contact.objects.create(family=family, **contact).children.set(kids)
    return family, kids


@transaction.atomic
def seed() -> list[tuple[str, str, str]]:
    ensure_staff_group()
    staff = _user(STAFF_EMAIL, staff=True)
    staff.groups.add(ensure_staff_group())
    staff.first_name, staff.last_name = "Agnès", "Le Goff"
    staff.save()
    _user(ADMIN_EMAIL, superuser=True)

    _family(
        "Famille Martin",
        [("martin@demo.example", "Claire", "Martin", Guardian.Relation.MOTHER),
         ("martin.paul@demo.example", "Paul", "Martin", Guardian.Relation.FATHER)],
        [dict(first_name="Léa", last_name="Martin", birth_date=datetime.date(2017, 5, 2),
              sex=Child.Sex.FEMALE, school="École Jules Ferry", school_class="CE2"),
         dict(first_name="Hugo", last_name="Martin", birth_date=datetime.date(2020, 9, 21),
              sex=Child.Sex.MALE, school="École Jules Ferry", school_class="MS")],
        [dict(first_name="Annie", last_name="Martin", relation="grand-mère",
              phone="02 97 11 22 33", can_pick_up=True, emergency_contact=True)],
    )
    _bernard, (noah,) = _family(
        "Famille Bernard",
        [("bernard@demo.example", "Julie", "Bernard", Guardian.Relation.MOTHER)],
        [dict(first_name="Noah", last_name="Bernard", birth_date=datetime.date(2016, 1, 11),
              sex=Child.Sex.MALE, school="École Jules Ferry", school_class="CM1")],
    )
    petit, _ = _family(
        "Famille Petit",
        [("petit@demo.example", "Thomas", "Petit", Guardian.Relation.FATHER)],
        [],
    )
    if noah.second_family_id is None:  # shared custody between the Bernard and Petit homes
        noah.second_family = petit
        noah.save()
    _user("nouveau@demo.example")  # a brand new account: no family yet
    _seed_annual_files(staff)

    return [
        ("Agent du service (gestion)", STAFF_EMAIL, DEMO_PASSWORD),
        ("Administrateur", ADMIN_EMAIL, DEMO_PASSWORD),
        ("Famille Martin, deux enfants", "martin@demo.example", DEMO_PASSWORD),
        ("Famille Bernard, garde alternée", "bernard@demo.example", DEMO_PASSWORD),
        ("Famille Petit, garde alternée", "petit@demo.example", DEMO_PASSWORD),
        ("Nouvelle famille, compte sans foyer", "nouveau@demo.example", DEMO_PASSWORD),
    ]


DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _aware(year, month, day, hour=0, minute=0):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def _year(start):
    label = f"{start}-{start + 1}"
    year, _created = SchoolYear.objects.get_or_create(label=label, defaults={
        "start_date": datetime.date(start, 9, 1),
        "end_date": datetime.date(start + 1, 8, 31),
        "reregistration_opens_at": _aware(start, 5, 4, 8, 30),
        "reregistration_deadline": _aware(start, 6, 30, 23, 59),
        "rules_version": f"{start}-1",
    })
    return year


def _document(family, child, kind, name):
    document = Document.objects.filter(family=family, child=child, kind=kind).first()
    if document is None:
        document = Document(family=family, child=child, kind=kind, original_name=name,
                            content_type="application/pdf", size=len(DEMO_PDF))
        document.file.save(name, ContentFile(DEMO_PDF), save=False)
        document.save()
    return document


def _filled_file(child, year, state, staff):
    """A complete file for the demo, taken through the real services to the given state."""
    annual_file = AnnualFile.objects.filter(child=child, school_year=year).first()
    if annual_file is not None:
        return annual_file
    family = child.family
    annual_file = AnnualFile.objects.create(
        child=child, school_year=year, school=child.school, school_class=child.school_class,
        vaccinations_up_to_date=True,
        vaccination_document=_document(family, child, Document.Kind.VACCINATION,
                                       f"vaccins-{child.first_name.lower()}.pdf"),
        income_document=_document(family, None, Document.Kind.TAX_NOTICE,
                                  "avis-imposition.pdf"),
        allowance_number="1234567", photo_consent=True, outings_consent=True,
        emergency_care_consent=True, rules_version_accepted=year.rules_version,
        rules_accepted_at=year.reregistration_opens_at,
    )
    annual_file.authorised_contacts.set(family.contacts.all())
    if state == AnnualFile.State.DRAFT:
        return annual_file
    guardian = family.guardians.first()
    annual_file = inscriptions.submit(family, annual_file, guardian.user)
    if state == AnnualFile.State.VALIDATED:
        annual_file = inscriptions.validate(annual_file, staff)
    return annual_file


def _seed_annual_files(staff):
    today = timezone.localdate()
    current_start = today.year if today.month >= 9 else today.year - 1
    last_year, this_year = _year(current_start - 1), _year(current_start)
    martin = Family.objects.get(name="Famille Martin")
    lea, hugo = martin.children.order_by("birth_date")
    noah = Child.objects.get(first_name="Noah", last_name="Bernard")
    _filled_file(lea, last_year, AnnualFile.State.VALIDATED, staff)
    _filled_file(noah, last_year, AnnualFile.State.VALIDATED, staff)
    _filled_file(lea, this_year, AnnualFile.State.VALIDATED, staff)
    _filled_file(hugo, this_year, AnnualFile.State.SUBMITTED, staff)
    if not martin.family_quotients.exists():
        inscriptions.set_family_quotient(
            martin, value=870, valid_from=this_year.start_date, valid_until=this_year.end_date,
            staff_user=staff, source_document=_document(martin, None, Document.Kind.TAX_NOTICE,
                                                        "avis-imposition.pdf"),
        )
