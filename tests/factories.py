import datetime

import factory
from allauth.account.models import EmailAddress

from familles.models import Child, Contact, Family, Guardian, User
from familles.second_factor import add_totp_device
from portail.staff import ensure_staff_group, staff_permissions

PASSWORD = "motdepasse-de-test-2026"
# The TOTP secret of every staff account the factories build (base32, as an app is given it).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"parent{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        user.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    @factory.post_generation
    def second_factor(user, create, extracted, **kwargs):
        """Staff and superusers get an active TOTP device (TOTP_SECRET), as every staff account
        has in production; `second_factor=False` builds one who has not enrolled yet."""
        if create and (user.is_staff or user.is_superuser) and extracted is not False:
            add_totp_device(user, TOTP_SECRET)


class StaffFactory(UserFactory):
    is_staff = True
    email = factory.Sequence(lambda n: f"agent{n}@mairie.example")

    @factory.post_generation
    def staff_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(ensure_staff_group())


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


# Staff with the group's permissions but some (health data, decisions) ------------------------

def staff_without(*codenames):
    """A member of the staff with the group's permissions minus ``codenames``."""
    user = StaffFactory()
    user.groups.clear()
    user.user_permissions.set(staff_permissions().exclude(codename__in=codenames))
    return user
