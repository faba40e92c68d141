"""Health data in the admin (GDPR art. 9): staff without the permission can neither read it
nor probe it (filter, search, sort, autocomplete, history), from any admin of the site;
each access by staff who hold the permission is journaled, without the values searched."""

import re
import string

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse

from familles.models import Document
from ground.admin_health import HealthDataAdminMixin
from inscriptions import services
from inscriptions.models import AnnualFile, HealthDataAccess
from reservations.models import AbsenceJustification, AllocationPriority
from tests.helpers import page_text, visible_text
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.enrolments import AnnualFileFactory
from tests.scenarios.families import ChildFactory, DocumentFactory
from tests.scenarios.health import (
    EXPECTED_HEALTH_FIELDS,
    health_lookups,
    health_staff,
    registered_admins,
    staff_without_health,
    two_children_with_allergies,
)
from tests.scenarios.reservations import ReservationFactory

FILES = "/gestion/inscriptions/annualfile/"
JUSTIFICATIONS = "/gestion/reservations/absencejustification/"
DOCUMENTS = "/gestion/familles/document/"
PRIORITIES = "/gestion/reservations/allocationpriority/"


@pytest.fixture
def lou_file(guardian):
    child = ChildFactory(family=guardian.family, first_name="Lou", last_name="Martin")
    return AnnualFileFactory(child=child, allergies="arachide",
                             health_notes="Asthme léger : ventoline dans le sac.")


def justification(child, reason, details="", **kwargs):
    return AbsenceJustification.objects.create(
        reservation=ReservationFactory(child=child, **kwargs), reason=reason, details=details,
        submitted_by=child.family.guardians.first().user)


def recover_by_oracle(client, url, param, marker, alphabet=string.ascii_lowercase + " "):
    """What an agent learns of a hidden text by asking whether the list still shows
    ``marker`` when filtered by ``param`` containing a guess, one letter at a time."""
    known, statuses = "", set()
    while True:
        for letter in alphabet:
            response = client.get(url, {param: known + letter})
            statuses.add(response.status_code)
            if response.status_code == 200 and marker in visible_text(response):
                known += letter
                break
        else:
            return known, statuses


# The oracles of the review ----------------------------------------------------------------

def test_allergies_cannot_be_recovered_letter_by_letter(client, lou_file):
    client.force_login(staff_without_health())
    assert client.get(FILES).status_code == 200
    recovered, statuses = recover_by_oracle(client, FILES, "allergies__icontains", "Lou Martin")
    assert recovered == ""
    assert statuses == {400}  # refused, whatever the guess


def test_an_action_on_a_list_filtered_by_allergies_is_refused(client, guardian, lou_file):
    """Actions apply to the filtered list (« all N selected »): a count of validated files
    would be an oracle too, and so would the filters the admin carries back to the list."""
    services.submit(guardian.family, lou_file, guardian.user)
    client.force_login(staff_without_health())
    for guess in ("arachide", "kiwi"):
        response = client.post(f"{FILES}?allergies__icontains={guess}", {
            "action": "validate_selected", "index": "0", "select_across": "1",
            "_selected_action": [lou_file.pk]})
        assert response.status_code == 400, guess
    lou_file.refresh_from_db()
    assert lou_file.state == AnnualFile.State.SUBMITTED
    back = client.get(f"{FILES}{lou_file.pk}/change/",
                      {"_changelist_filters": "allergies__icontains=ara"})
    assert back.status_code == 200 and "arachide" not in visible_text(back)
    assert client.get(f"{FILES}?allergies__icontains=ara").status_code == 400


def test_an_illness_cannot_be_told_from_the_justification_list(client, guardian):
    lou = ChildFactory(family=guardian.family, first_name="Lou")
    justification(lou, AbsenceJustification.Reason.ILLNESS, "Gastro")
    client.force_login(staff_without_health())
    page = client.get(JUSTIFICATIONS)
    assert page.status_code == 200 and "Lou" in visible_text(page)
    for shown in ("Maladie de l'enfant", "Gastro", "reason__exact"):
        assert shown not in page_text(page), shown
    for reason in ("illness", "family"):
        assert client.get(JUSTIFICATIONS, {"reason__exact": reason}).status_code == 400
        assert client.get(JUSTIFICATIONS, {"details__icontains": "g"}).status_code == 400


def test_the_justification_list_cannot_be_sorted_by_reason(client, guardian):
    """Sorting by a hidden column would tell illnesses from family events: whatever the
    column asked for, the order must not change when the reasons are swapped."""
    ill = ChildFactory(family=guardian.family, first_name="Ilona")
    away = ChildFactory(family=guardian.family, first_name="Fabien")
    first = justification(ill, AbsenceJustification.Reason.ILLNESS)
    second = justification(away, AbsenceJustification.Reason.FAMILY,
                           slot=first.reservation.slot)
    client.force_login(staff_without_health())

    def orders():
        result = []
        for column in range(9):
            for o in (str(column), f"-{column}"):
                text = visible_text(client.get(JUSTIFICATIONS, {"o": o}))
                result.append(sorted(["Ilona", "Fabien"], key=text.index))
        return result
    before = orders()
    AbsenceJustification.objects.filter(pk=first.pk).update(reason="family")
    AbsenceJustification.objects.filter(pk=second.pk).update(reason="illness")
    assert orders() == before


def test_health_documents_are_not_listed_nor_found(client, guardian):
    certificate = DocumentFactory(family=guardian.family,
                                  kind=Document.Kind.MEDICAL_CERTIFICATE,
                                  original_name="certificat-allergie-arachide.pdf")
    notice = DocumentFactory(family=guardian.family, original_name="avis-2026.pdf")
    client.force_login(staff_without_health())
    page = visible_text(client.get(DOCUMENTS))
    assert "avis-2026.pdf" in page and "certificat-allergie" not in page
    assert "certificat-allergie" not in visible_text(client.get(DOCUMENTS, {"q": "arachide"}))
    assert "certificat-allergie" not in visible_text(client.get(DOCUMENTS, {"kind": "medical"}))
    assert client.get(f"{DOCUMENTS}{certificate.pk}/change/").status_code == 302  # not found
    assert client.get(f"{DOCUMENTS}{certificate.pk}/history/").status_code == 404
    # Staff allowed see it; opening it is journaled, opening a tax notice is not.
    client.force_login(health_staff())
    assert client.get(f"{DOCUMENTS}{certificate.pk}/change/").status_code == 200
    client.get(f"{DOCUMENTS}{notice.pk}/change/")
    assert [a.object_id for a in HealthDataAccess.objects.filter(
        action=HealthDataAccess.Action.VIEW)] == [str(certificate.pk)]


def test_history_pages_hide_health_data(client, guardian, lou_file):
    lou = lou_file.child
    absence = justification(lou, AbsenceJustification.Reason.ILLNESS, "Gastro")
    absence.state = AbsenceJustification.State.ACCEPTED
    absence.save()
    client.force_login(staff_without_health())
    for base, obj in ((FILES, lou_file), (JUSTIFICATIONS, absence)):
        history = client.get(f"{base}{obj.pk}/history/")
        assert history.status_code == 200
        version = obj.history.earliest().history_id
        form = client.get(f"{base}{obj.pk}/history/{version}/")
        assert form.status_code == 200
        for page in (history, form):
            for secret in ("arachide", "Asthme", "Dr Le Gall", "Maladie de l'enfant", "Gastro"):
                assert secret not in visible_text(page), (base, secret)
    assert not HealthDataAccess.objects.exists()


# Every admin of the site ----------------------------------------------------------------

def test_no_admin_of_the_site_lets_a_lookup_reach_health_data(client, db):
    """From every registered admin, a filter reaching each health field by its relation
    path is refused: in Python for all, through HTTP where the agent may open the list."""
    agent = staff_without_health()
    request = RequestFactory().get("/")
    request.user = agent
    client.force_login(agent)
    checked = 0
    for model_admin in registered_admins():
        assert isinstance(model_admin, HealthDataAdminMixin), type(model_admin)
        model = model_admin.model
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        can_open = client.get(url).status_code == 200
        for lookup in health_lookups(model):
            if model is Document and lookup.count("__") == 1:
                continue  # its rows of health kinds are withheld instead (test above)
            assert not model_admin.lookup_allowed(lookup, "False", request), (url, lookup)
            if can_open:
                assert client.get(url, {lookup: "False"}).status_code == 400, (url, lookup)
            checked += 1
    assert checked > 100  # every admin, every health field


def test_every_health_looking_field_is_declared():
    """A new field about health must be declared, or this fails."""
    looks_medical = re.compile(r"allerg|sant|health|m[ée]dic|m[ée]decin|doctor|vaccin|\bpai\b"
                               r"|r[ée]gime|diet|maladie|illness|soin", re.I)
    for model in apps.get_models():
        if model._meta.label.split(".")[1].startswith("Historical"):
            continue
        declared = set(getattr(model, "HEALTH_FIELDS", ()))
        expected = EXPECTED_HEALTH_FIELDS.get(model._meta.label, set())
        assert declared == expected, model._meta.label
        for field in model._meta.get_fields():
            words = f"{field.name} {getattr(field, 'verbose_name', '')}"
            if looks_medical.search(words) and field.name not in declared:
                # Consents and journals talk about health without being health data.
                assert (field.name in {"emergency_care_consent", "health_accesses"}
                        or model._meta.model_name in {"healthdataaccess"}), (model, field.name)


# A careless admin, registered on a site of the portal's class ---------------------------

careless = pytest.mark.urls("tests.careless_admin_urls")
CARELESS_CHILDREN = "/careless/familles/child/"


@careless
def test_a_careless_admin_cannot_filter_on_health_data(client, guardian):
    two_children_with_allergies(guardian.family)
    client.force_login(staff_without_health())
    assert client.get(CARELESS_CHILDREN).status_code == 200
    for lookup in ("annual_files__allergies", "annual_files__allergies__icontains",
                   "annual_files__diet__exact"):
        assert client.get(CARELESS_CHILDREN, {lookup: "arachide"}).status_code == 400, lookup
    reservations = "/careless/reservations/reservation/"
    for lookup in ("justification__reason__exact", "child__annual_files__allergies"):
        assert client.get(reservations, {lookup: "illness"}).status_code == 400, lookup


@careless
def test_a_careless_admin_cannot_search_nor_sort_by_health_data(client, guardian):
    two_children_with_allergies(guardian.family)
    client.force_login(staff_without_health())
    assert "Zoé" in visible_text(client.get(CARELESS_CHILDREN, {"q": "Zoé"}))
    assert "Zoé" not in visible_text(client.get(CARELESS_CHILDREN, {"q": "arachide"}))

    def order(o):
        text = visible_text(client.get(CARELESS_CHILDREN, {"o": o}))
        return sorted(["Anna", "Zoé"], key=text.index)
    assert order("3") == order("-3")


@careless
def test_a_careless_autocomplete_does_not_search_health_data(client, guardian):
    two_children_with_allergies(guardian.family)
    client.force_login(staff_without_health())
    url = "/careless/autocomplete/"
    query = {"app_label": "reservations", "model_name": "reservation", "field_name": "child"}
    found = client.get(url, {**query, "term": "Zoé"}).json()["results"]
    assert [r["text"] for r in found] == ["Zoé Zédé"]
    assert client.get(url, {**query, "term": "arachide"}).json()["results"] == []


@careless
def test_a_careless_inline_does_not_show_health_data(client, guardian):
    anna, _zoe = two_children_with_allergies(guardian.family)
    client.force_login(staff_without_health())
    page = client.get(f"{CARELESS_CHILDREN}{anna.pk}/change/")
    assert page.status_code == 200
    assert "École du Centre" in page_text(page) and "zeste" not in page_text(page)
    assert not HealthDataAccess.objects.exists()
    agent = health_staff()
    client.force_login(agent)
    assert "zeste" in page_text(client.get(f"{CARELESS_CHILDREN}{anna.pk}/change/"))
    access = HealthDataAccess.objects.get()
    assert (access.user, access.action, access.object_id) == (
        agent, HealthDataAccess.Action.VIEW, str(anna.pk))


@careless
def test_staff_with_the_permission_may_filter_and_it_is_journaled(client, guardian):
    anna, _zoe = two_children_with_allergies(guardian.family)
    anna.annual_files.update(diet=AnnualFile.Diet.MEDICAL)
    agent = health_staff()
    client.force_login(agent)
    page = client.get(CARELESS_CHILDREN, {"annual_files__diet__exact": "no_pork"})
    assert page.status_code == 200
    assert "Zoé" in visible_text(page) and "Anna" not in visible_text(page)
    access = HealthDataAccess.objects.get()
    assert (access.user, access.action) == (agent, HealthDataAccess.Action.LIST)
    assert "diet" in access.health_fields
    assert "no_pork" not in str(access.__dict__)  # the journal keeps no searched value
    # Allergies are encrypted at rest: no filter on them, even with the permission.
    page = client.get(CARELESS_CHILDREN, {"annual_files__allergies__icontains": "arachide"})
    assert page.status_code == 400


# What staff holding the permission do is journaled -------------------------------------

def test_filtering_searching_and_sorting_on_health_data_is_journaled(client, lou_file):
    agent = health_staff()
    client.force_login(agent)
    page = client.get(FILES, {"diet__exact": lou_file.diet})
    assert page.status_code == 200 and "Lou Martin" in visible_text(page)
    access = HealthDataAccess.objects.get()
    assert access.action == HealthDataAccess.Action.LIST and access.annual_file is None
    assert access.health_fields == "diet" and access.user == agent
    client.get(FILES)  # no health data asked for, shown or sorted by: nothing to journal
    assert HealthDataAccess.objects.count() == 1
    # Encrypted at rest, the allergies are refused whoever asks.
    assert client.get(FILES, {"allergies__icontains": "arach"}).status_code == 400


def test_opening_a_justification_or_a_history_is_journaled(client, guardian, lou_file):
    absence = justification(lou_file.child, AbsenceJustification.Reason.ILLNESS, "Gastro")
    agent = health_staff()
    client.force_login(agent)
    page = client.get(f"{JUSTIFICATIONS}{absence.pk}/change/")
    assert "Gastro" in visible_text(page) and "Maladie de l'enfant" in visible_text(page)
    access = HealthDataAccess.objects.get()
    assert access.action == HealthDataAccess.Action.VIEW
    assert (access.content_type, access.object_id) == (
        ContentType.objects.get_for_model(AbsenceJustification), str(absence.pk))
    version = lou_file.history.earliest().history_id
    form = client.get(f"{FILES}{lou_file.pk}/history/{version}/")
    assert "arachide" in visible_text(form)
    last = HealthDataAccess.objects.latest("pk")
    assert (last.action, last.annual_file) == (HealthDataAccess.Action.HISTORY, lou_file)
    # The justification list shows reasons: one line of journal for the page.
    client.get(JUSTIFICATIONS)
    assert HealthDataAccess.objects.filter(action=HealthDataAccess.Action.LIST,
                                           health_fields__contains="reason").count() == 1



def test_a_priority_reason_is_read_only_by_staff_with_the_permission(client, guardian):
    """The reason of an allocation priority may tell a disability: hidden from the list and
    the form of staff without the permission (saving the form keeps it), shown and journaled
    for staff who hold it."""
    child = ChildFactory(family=guardian.family, first_name="Lou", last_name="Martin")
    priority = AllocationPriority.objects.create(child=child, note="Handicap moteur",
                                                 set_by=StaffFactory())
    change = f"{PRIORITIES}{priority.pk}/change/"
    client.force_login(staff_without_health())
    for url in (PRIORITIES, change):
        page = client.get(url)
        assert page.status_code == 200 and "Handicap moteur" not in page.content.decode()
    saved = client.post(change, {"child": child.pk, "family": "", "valid_until": "2030-08-31"})
    assert saved.status_code == 302
    priority.refresh_from_db()
    assert (priority.note, str(priority.valid_until)) == ("Handicap moteur", "2030-08-31")
    assert not HealthDataAccess.objects.exists()

    agent = health_staff()
    client.force_login(agent)
    assert "Handicap moteur" in visible_text(client.get(PRIORITIES))
    assert "Handicap moteur" in client.get(change).content.decode()
    assert sorted(HealthDataAccess.objects.filter(user=agent).values_list(
        "action", "health_fields")) == [(HealthDataAccess.Action.LIST, "note"),
                                         (HealthDataAccess.Action.VIEW, "note")]
