"""The front desk: a family served at the counter (no login, no e-mail), and the forms an
agent posts for it.

- `counter_form(**overrides)`: the POST of « Créer une famille au guichet » (one guardian
  without e-mail, the family's address, one child); keys as the page names them.
- `counter_family(agent, email="")`: that family created through the service; returns it.
- `FAMILY_PAGE`, `COUNTER_PAGE`: the family's one-screen page (format with its id), the
  creation page.
"""

import datetime

from familles import counter
from familles.models import Child, Guardian

FAMILY_PAGE = "/gestion/familles/family/{}/fiche/"
COUNTER_PAGE = "/gestion/familles/family/guichet/"


def counter_form(**overrides) -> dict:
    data = {
        "family-name": "", "family-address": "3 impasse des Lilas", "family-postal_code": "56000",
        "family-city": "Kerbrume", "family-send_invitations": "on",
        "g1-first_name": "Yvonne", "g1-last_name": "Le Goff", "g1-relation": "mother",
        "g1-mobile_phone": "", "g1-home_phone": "02 97 00 11 22", "g1-email": "",
        "g2-first_name": "", "g2-last_name": "", "g2-relation": "other",
        "g2-mobile_phone": "", "g2-home_phone": "", "g2-email": "",
        "c1-first_name": "Maël", "c1-last_name": "Le Goff", "c1-birth_date": "2018-05-04",
        "c1-sex": "M", "c1-school": "École du Centre", "c1-school_class": "CP",
    }
    data.update(overrides)
    return data


def counter_family(agent, email: str = "", child_name: str = "Maël"):
    return counter.create_family_at_counter(
        agent, family={"address": "3 impasse des Lilas", "postal_code": "56000",
                       "city": "Kerbrume"},
        guardians=[{"first_name": "Yvonne", "last_name": "Le Goff",
                    "relation": Guardian.Relation.MOTHER, "home_phone": "02 97 00 11 22",
                    "email": email}],
        children=[{"first_name": child_name, "last_name": "Le Goff",
                   "birth_date": datetime.date(2018, 5, 4), "sex": Child.Sex.MALE,
                   "school": "École du Centre", "school_class": "CP"}],
    )


def ready_to_book(child, activity):
    """What the child needs before a booking (validated file, validated enrolment), as the
    staff would have done it on behalf of the family."""
    from tests.scenarios.enrolments import AnnualFileFactory, EnrolmentFactory

    AnnualFileFactory(child=child, school_year=activity.school_year, validated=True)
    return EnrolmentFactory(child=child, activity=activity)
