"""Invariant 3: a parent reaches an object only through his own family.

A guardian of family A gets 404 on every URL that names an object of family B, whatever the
method, and B's data is unchanged afterwards. The list of URLs is checked against
familles.urls, so that a new URL taking an id cannot be forgotten here."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse

from familles import urls as familles_urls
from familles.models import Child, Contact, Document, Invitation
from tests.helpers import pdf_bytes, stored_files
from tests.scenarios.families import ChildFactory

# URL name -> (how to get family B's object id, methods the view answers).
OBJECT_URLS = {
    "child_edit": (lambda b: b["child"].pk, ("get", "post")),
    "contact_edit": (lambda b: b["contact"].pk, ("get", "post")),
    "contact_delete": (lambda b: b["contact"].pk, ("get", "post")),
    "document_download": (lambda b: b["document"].pk, ("get", "post")),
    "document_delete": (lambda b: b["document"].pk, ("get", "post")),
}
# The invitation link is a capability sent by e-mail (an unguessable token, checked against
# the invitee's e-mail address): tested in test_invitation.py and below.
# The claim link (« Créer mon accès ») is one too, for a guardian who has no login yet: it is
# open to anonymous visitors by design (tested in test_front_desk_counter.py).
# The invitation link opened logged out says what it is and how to log in to accept it
# (test_invitation.py): its page is open, accepting needs the login.
NOT_FAMILY_SCOPED = {"invitation_accept", "claim"}
ANONYMOUS_BY_DESIGN = {"claim", "invitation_accept"}

# What A's guardian tries to write into B's objects.
HOSTILE_POST = {
    "first_name": "Pirate", "last_name": "Pirate", "birth_date": "2015-01-01", "sex": "M",
    "school": "Ailleurs", "school_class": "CM2", "relation": "inconnu", "phone": "0000",
    "can_pick_up": "on", "emergency_contact": "on",
}


def patterns_with_an_id():
    return {
        p.name for p in familles_urls.urlpatterns
        if isinstance(p, URLPattern) and p.pattern.converters
    }


def test_every_url_taking_an_id_is_covered():
    assert patterns_with_an_id() == set(OBJECT_URLS) | NOT_FAMILY_SCOPED


@pytest.fixture
def family_b(other_guardian, other_family, other_child, other_contact):
    client = Client()
    client.force_login(other_guardian.user)
    response = client.post("/documents/", {
        "kind": "vaccination", "child": other_child.pk,
        "file": _file("carnet.pdf", pdf_bytes("B")),
    })
    assert response.status_code == 302
    return {"family": other_family, "child": other_child, "contact": other_contact,
            "document": Document.objects.get(family=other_family)}


def _file(name, content):
    return SimpleUploadedFile(name, content)


def snapshot(b):
    child = Child.objects.filter(pk=b["child"].pk).values().get()
    contact = Contact.objects.filter(pk=b["contact"].pk).values().get()
    children = set(Contact.objects.get(pk=b["contact"].pk).children.values_list("pk", flat=True))
    document = Document.objects.filter(pk=b["document"].pk).values().get()
    files = {p: p.read_bytes() for p in stored_files()}
    return child, contact, children, document, files


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_guardian_of_family_a_gets_404_on_family_b_objects(name, parent_client, family,
                                                           family_b):
    ChildFactory(family=family)  # A has children of his own, so his forms are valid
    get_id, methods = OBJECT_URLS[name]
    url = reverse(f"familles:{name}", args=[get_id(family_b)])
    before = snapshot(family_b)
    for method in methods:
        data = {**HOSTILE_POST, "children": [family_b["child"].pk]} if method == "post" else {}
        response = getattr(parent_client, method)(url, data)
        assert response.status_code == 404, f"{method.upper()} {url}"
        assert b"Pirate" not in response.content
    if "get" not in methods:
        assert parent_client.get(url).status_code == 405
    assert snapshot(family_b) == before


def test_family_b_guardian_still_reaches_his_objects(client, family_b, other_guardian):
    """The control: the same URLs work for their owner, so the 404s above mean something."""
    client.force_login(other_guardian.user)
    for name, (get_id, methods) in OBJECT_URLS.items():
        if "get" in methods:
            url = reverse(f"familles:{name}", args=[get_id(family_b)])
            assert client.get(url).status_code == 200, url


def test_ids_of_family_b_are_never_listed_to_family_a(parent_client, family, family_b):
    ChildFactory(family=family)
    for page in ("/", "/famille/", "/famille/entourage/", "/famille/entourage/ajouter/",
                 "/documents/"):
        html = parent_client.get(page).content.decode()
        assert str(family_b["document"].pk) not in html
        assert f"/famille/enfants/{family_b['child'].pk}/" not in html
        assert f"/famille/entourage/{family_b['contact'].pk}/" not in html
        assert family_b["child"].first_name not in html
        assert family_b["contact"].first_name not in html


def test_family_a_cannot_attach_family_b_children(parent_client, family, family_b):
    """Objects of B cannot be reached through A's own forms either (ids in POST data)."""
    own = ChildFactory(family=family)
    before = snapshot(family_b)
    response = parent_client.post("/famille/entourage/ajouter/", {
        **HOSTILE_POST, "children": [own.pk, family_b["child"].pk]})
    assert response.status_code == 200
    response = parent_client.post("/documents/", {
        "kind": "vaccination", "child": family_b["child"].pk,
        "file": _file("x.pdf", pdf_bytes())})
    assert response.status_code == 400
    assert not Contact.objects.filter(family=family).exists()
    assert not Document.objects.filter(family=family).exists()
    assert snapshot(family_b) == before


def test_invitation_of_family_b_cannot_be_used_by_family_a(parent_client, family, family_b,
                                                           other_guardian):
    invitation = Invitation.objects.create(family=family_b["family"],
                                           email="invite.b@example.org",
                                           invited_by=other_guardian)
    url = reverse("familles:invitation_accept", args=[invitation.token])
    response = parent_client.post(url, HOSTILE_POST)
    assert response.status_code == 200
    assert family_b["family"].guardians.count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize("pattern", [p for p in familles_urls.urlpatterns
                                     if isinstance(p, URLPattern)
                                     and p.name not in ANONYMOUS_BY_DESIGN],
                         ids=lambda p: p.name)
def test_anonymous_visitors_are_sent_to_login(pattern, client, family_b):
    kwargs = {}
    for key, converter in pattern.pattern.converters.items():
        kwargs[key] = (family_b["document"].pk if "uuid" in type(converter).__name__.lower()
                       else family_b["child"].pk)
    url = reverse(f"familles:{pattern.name}", kwargs=kwargs)
    for method in ("get", "post"):
        response = getattr(client, method)(url, HOSTILE_POST if method == "post" else {})
        if response.status_code == 405:
            continue
        assert response.status_code == 302, f"{method.upper()} {url}"
        assert response.url.startswith("/compte/login/")
