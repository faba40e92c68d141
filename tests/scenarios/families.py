"""Families as parents build them: the family, its guardians, children, contacts and the
documents of its vault.

- `FamilyFactory`, `GuardianFactory` (with an account, see tests/scenarios/accounts.py),
  `ChildFactory`, `ContactFactory` (`children=[…]`), `DocumentFactory` (a real tiny PDF).
"""

import datetime

import factory
from django.core.files.base import ContentFile

from familles.models import Child, Contact, Document, Family, Guardian
from tests.helpers import pdf_bytes
from tests.scenarios.accounts import UserFactory


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    name = factory.Sequence(lambda n: f"Famille Test {n}")
    address = "1 rue des Écoles"
    postal_code = "56000"
    city = "Kerbrume"


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    user = factory.SubFactory(UserFactory)
    family = factory.SubFactory(FamilyFactory)
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Parent{n}")
    relation = Guardian.Relation.MOTHER
    mobile_phone = "06 12 34 56 78"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = "Test"
    birth_date = datetime.date(2018, 3, 14)
    sex = Child.Sex.FEMALE
    school = "École du Centre"
    school_class = "CP"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    family = factory.SubFactory(FamilyFactory)
    first_name = "Jeanne"
    last_name = "Voisine"
    relation = "voisine"
    phone = "06 00 00 00 00"

    @factory.post_generation
    def children(contact, create, extracted, **kwargs):
        if create and extracted:
            contact.children.set(extracted)


class DocumentFactory(factory.django.DjangoModelFactory):
    """A real (tiny) PDF in the family's vault."""

    class Meta:
        model = Document

    family = factory.SubFactory(FamilyFactory)
    child = None
    kind = Document.Kind.TAX_NOTICE
    original_name = factory.LazyAttribute(lambda o: f"{o.kind}.pdf")
    content_type = "application/pdf"
    file = factory.LazyAttribute(lambda o: ContentFile(pdf_bytes(o.original_name),
                                                       name=o.original_name))
    size = factory.LazyAttribute(lambda o: o.file.size)
    valid_until = None
