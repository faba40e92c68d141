"""Demo data: a commune like the brochure's, its staff and three families with known logins.

Idempotent: running it again finds what exists and changes nothing. Later capabilities add
their own part (school year, activities…) to `seed()`.
"""

import datetime

from allauth.account.models import EmailAddress
from django.db import transaction

from familles.models import Child, Contact, Family, Guardian, User

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

    return [
        ("Agent du service (gestion)", STAFF_EMAIL, DEMO_PASSWORD),
        ("Administrateur", ADMIN_EMAIL, DEMO_PASSWORD),
        ("Famille Martin, deux enfants", "martin@demo.example", DEMO_PASSWORD),
        ("Famille Bernard, garde alternée", "bernard@demo.example", DEMO_PASSWORD),
        ("Famille Petit, garde alternée", "petit@demo.example", DEMO_PASSWORD),
        ("Nouvelle famille, compte sans foyer", "nouveau@demo.example", DEMO_PASSWORD),
    ]
