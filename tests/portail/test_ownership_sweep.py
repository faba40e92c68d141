"""Issue 7, hardening: the ownership sweep (DESIGN.md invariant 3, on the whole parent side).

Every URL pattern of the portal is walked through `django.urls.get_resolver()`. Each parent
pattern that takes an id (int, uuid, token) is called by a logged-in guardian of family A with
family B's objects' ids, with GET and with POST (three bodies: plain, « stop », « submit »):
the answer is 404, 403 or 405, or a redirect that leaks nothing (neither in its address nor
on the page it leads to), and nothing of family B changed in the database or in the vault.

A new parent URL with an id parameter makes `test_every_parent_url_with_an_id_is_swept` fail
until it is mapped in `SWEEP` below (or listed, with its reason, in `EXCLUDED`).

Family A's own forms are valid (a child with a validated file, enrolled), so a 404 means
"not yours", not "nothing to do"; the control test shows the same URLs answer 200 to B.
tests/familles/test_ownership.py holds the first, familles-only version of this sweep."""

import datetime
from urllib.parse import urlsplit

import pytest
import stripe
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from facturation import stripe_gateway
from facturation.models import Attestation, Invoice, Payment, PaymentAttempt, StripeEvent
from facturation.services.attestations import payments_figures
from familles.models import Child, Contact, Document, Family, Guardian, Invitation
from ground.models import OutboxMessage
from inscriptions.models import AnnualFile, Enrolment
from portail.models import ErasureRequest
from reservations.models import (
    AbsenceJustification,
    CalendarFeed,
    MealSubscription,
    Reservation,
    Slot,
)
from reservations.services.feeds import feed_for
from tests.helpers import page_text, stored_files
from tests.scenarios.allocation import periods_in_every_state
from tests.scenarios.billing import issued_invoice, priced_activity
from tests.scenarios.enrolments import ActivityFactory, EnrolmentFactory
from tests.scenarios.erasure import pending_request
from tests.scenarios.families import ContactFactory
from tests.scenarios.personal_data import ready_export
from tests.scenarios.reservations import SlotFactory, bookable_activity, ready_child
from tests.scenarios.stripe_fake import SECRET_KEY, WEBHOOK_SECRET, FakeStripeServer
from tests.url_tree import parent_side, walk

pytestmark = pytest.mark.django_db

# Named patterns outside the parent side, each with its reason.
EXCLUDED = {
    "home": "public landing page / dashboard: no id (checked below for leaks)",
    "faq": "public page, no id",
    "accessibility": "public page, no id",
    "health": "public health check for the load balancer, no id",
    "reservations:feed": "public iCal feed: the unguessable token IS the key (calendar apps "
                         "cannot log in); revocation tested in tests/reservations/test_feed.py",
    "facturation:stripe_webhook": "Stripe's webhook: no session, signed payload; forgery and "
                                  "replay in tests/facturation/test_stripe_webhook.py",
    "familles:claim": "an e-mailed, signed capability (uid and single-use token that expires) "
                      "for a guardian served at the counter, no session: tested in "
                      "tests/familles/test_front_desk_counter.py",
    "familles:invitation_accept": "an e-mailed capability checked against the invitee's "
                                  "address: tested in tests/familles/test_invitation.py and "
                                  "test_invitation_of_family_b_cannot_be_used_by_family_a",
    "facturation:payfip_notification": "PayFiP's server: no session, names an operation and "
                                       "is never believed (PayFiP is asked); forgery and "
                                       "replay in tests/facturation/test_payfip.py",
    "facturation:attestation_verify": "public check of an attestation's unguessable code: "
                                      "number, kind, date and household name only; tested "
                                      "in tests/facturation/test_attestation_pages.py",
}

# (URL name, parameter, converter) -> which of family B's objects supplies the value.
SWEEP = {
    ("familles:child_edit", "pk", "IntConverter"): "child",
    ("familles:contact_edit", "pk", "IntConverter"): "contact",
    ("familles:contact_delete", "pk", "IntConverter"): "contact",
    ("familles:document_download", "pk", "UUIDConverter"): "document",
    ("familles:document_delete", "pk", "UUIDConverter"): "document",
    ("inscriptions:annual_file", "child_pk", "IntConverter"): "child",
    ("inscriptions:annual_file", "year_pk", "IntConverter"): "year",
    ("inscriptions:enrolment_request", "activity_pk", "IntConverter"): "activity",
    ("inscriptions:enrolment_withdraw", "pk", "IntConverter"): "requested_enrolment",
    ("reservations:justify", "reservation_pk", "IntConverter"): "reservation",
    ("reservations:subscription", "pk", "IntConverter"): "canteen_enrolment",
    ("facturation:invoice", "pk", "UUIDConverter"): "invoice",
    ("facturation:invoice_pdf", "pk", "UUIDConverter"): "invoice",
    ("facturation:payment", "invoice_pk", "UUIDConverter"): "invoice",
    ("facturation:pay", "invoice_pk", "UUIDConverter"): "invoice",
    ("facturation:payment_return", "invoice_pk", "UUIDConverter"): "invoice",
    ("facturation:attempt_return", "invoice_pk", "UUIDConverter"): "invoice",
    ("facturation:attempt_return", "attempt_pk", "UUIDConverter"): "attempt",
    ("facturation:demo_bank", "attempt_pk", "UUIDConverter"): "attempt",
    ("facturation:attestation_pdf", "pk", "UUIDConverter"): "attestation",
    ("reservations:wishes", "period_pk", "IntConverter"): "allocation_period",
    ("reservations:decline", "period_pk", "IntConverter"): "allocation_period",
    ("reservations:allocation_inputs", "period_pk", "IntConverter"): "allocation_period",
    ("data_export_download", "pk", "UUIDConverter"): "data_export",
    ("erasure_cancel", "pk", "IntConverter"): "erasure_request",
}
# Objects that are not family B's (the catalogue, the school year): the URL is then scoped by
# what the POST names (B's child), which must be refused all the same.
SHARED_OBJECTS = {"activity", "year", "allocation_period"}


def parent_patterns():
    """The parent side: every pattern not under an excluded prefix nor named in EXCLUDED."""
    for route, name, pattern, converters in parent_side():
        if name in EXCLUDED:
            continue
        yield route, name, pattern, converters


def parent_patterns_with_an_id():
    return {name: converters for _r, name, _p, converters in parent_patterns() if converters}


def test_every_parent_url_with_an_id_is_swept():
    unnamed = [route for route, name, _p, conv in parent_patterns() if conv and not name]
    assert not unnamed, f"name these parent URLs so the sweep can reach them: {unnamed}"
    found = {(name, param, type(converter).__name__)
             for name, converters in parent_patterns_with_an_id().items()
             for param, converter in converters.items()}
    unknown = found - set(SWEEP)
    assert not unknown, (f"new parent URL parameter(s) not mapped to one of family B's objects "
                         f"in SWEEP: {sorted(unknown)}")
    gone = set(SWEEP) - found
    assert not gone, f"SWEEP maps URLs that no longer exist: {sorted(gone)}"
    # The exclusions still name real patterns (a renamed one would silently join the sweep).
    names = {name for _r, name, _p, _c in walk()}
    assert set(EXCLUDED) <= names


def test_the_walk_sees_the_whole_url_tree():
    """The walker itself is checked: it reaches patterns at every level of include()."""
    names = {name for _r, name, _p, _c in walk()}
    assert {"home", "familles:documents", "reservations:book", "facturation:pay",
            "admin:index", "account_login"} <= names
    assert parent_patterns_with_an_id().keys() == {name for name, _param, _conv in SWEEP}


# --- the two families --------------------------------------------------------------------

@pytest.fixture
def stripe_server(monkeypatch, settings):
    """Online payment configured, Stripe faked: a leak through « Payer » would show here."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    server = FakeStripeServer()
    monkeypatch.setattr(stripe_gateway, "http_client",
                        lambda: stripe.RequestsClient(session=server))
    return server


@pytest.fixture
def world(guardian, other_guardian, stripe_server):
    """Family A (the `guardian` fixture) and family B (`other_guardian`), both with a child
    whose file is validated, enrolled in the same leisure centre and canteen."""
    activity = priced_activity(name="Mercredis des Tilleuls")
    year = activity.school_year
    canteen = bookable_activity(canteen=True, school_year=year)
    staff_validated = ActivityFactory(staff_validated=True, school_year=year,
                                      name="Stage poterie")
    SlotFactory(activity=canteen)

    a = ready_child(activity, guardian)
    EnrolmentFactory(child=a.child, activity=canteen, requested_by=guardian.user)

    b = ready_child(activity, other_guardian)
    b_child = b.child
    Child.objects.filter(pk=b_child.pk).update(first_name="Noéline-B")
    b_child.refresh_from_db()
    canteen_enrolment = EnrolmentFactory(child=b_child, activity=canteen,
                                         requested_by=other_guardian.user)
    MealSubscription.objects.create(enrolment=canteen_enrolment, weekdays=[0, 3],
                                    applies_from=year.start_date,
                                    updated_by=other_guardian.user)
    requested = EnrolmentFactory(child=b_child, activity=staff_validated, state="requested",
                                 decided_at=None, requested_by=other_guardian.user)
    invoice = issued_invoice(activity, b_child, month=10)
    attempt = PaymentAttempt.objects.create(  # B's online payment, started with the demo
        invoice=invoice, provider=PaymentAttempt.Provider.DEMO, amount_cents=invoice.total_cents,
        state=PaymentAttempt.State.PENDING, provider_reference="demo-family-b")
    [first, second, *_rest] = Reservation.objects.filter(child=b_child).order_by("slot__date")
    document = AnnualFile.objects.get(child=b_child).vaccination_document
    Document.objects.filter(pk=document.pk).update(original_name="carnet-de-noeline-b.pdf")
    AbsenceJustification.objects.create(reservation=second, reason="illness",
                                        details="Varicelle de Noéline-B", document=document,
                                        submitted_by=other_guardian.user)
    contact = ContactFactory(family=b.family, first_name="Mamie-B", last_name="Secret",
                             children=[b_child])
    invitation = Invitation.objects.create(family=b.family, email="oncle.b@example.org",
                                           invited_by=other_guardian)
    feed = feed_for(b.family)
    this_year = timezone.localdate().year
    attestation = Attestation.objects.create(
        kind=Attestation.Kind.PAYMENTS, family=b.family, year=this_year, state="issued",
        number=f"RP-{this_year}-990001", issued_at=timezone.now(),
        data=payments_figures(b.family, this_year))
    allocation = periods_in_every_state(other_guardian, year)
    data_export = ready_export(other_guardian.user, b.family)
    erasure_request = pending_request(other_guardian, message="Départ-B secret")
    b_objects = {
        "allocation_period": allocation["periods"]["published"],
        "decline_query": allocation["decline_query"],
        "data_export": data_export, "erasure_request": erasure_request,
        "family": b.family, "guardian": other_guardian, "child": b_child, "year": year,
        "activity": activity, "canteen_enrolment": canteen_enrolment,
        "requested_enrolment": requested, "invoice": invoice, "attempt": attempt,
        "reservation": first,
        "document": document, "contact": contact,
        "site": activity.sites.first(), "attestation": attestation,
    }
    # What would betray B if it appeared on a page A receives.
    secrets = [b_child.first_name, "Mamie-B", "Varicelle", invoice.number,
               str(invitation.token), feed.token, "carnet-de-noeline-b",
               other_guardian.user.email, attestation.number, "Départ-B"]
    return {"a": a, "b": b_objects, "secrets": secrets}


def snapshot(family: Family):
    """Every row of family B, the slots' counters, global counts and the vault's bytes."""
    child_ids = list(Child.objects.filter(family=family).values_list("pk", flat=True))
    scoped = {
        "family": Family.objects.filter(pk=family.pk),
        "guardians": Guardian.objects.filter(family=family),
        "children": Child.objects.filter(family=family),
        "contacts": Contact.objects.filter(family=family),
        "contact_children": Contact.children.through.objects.filter(child_id__in=child_ids),
        "documents": Document.objects.filter(family=family),
        "invitations": Invitation.objects.filter(family=family),
        "feeds": CalendarFeed.objects.filter(family=family),
        "annual_files": AnnualFile.objects.filter(child__family=family),
        "enrolments": Enrolment.objects.filter(child__family=family),
        "subscriptions": MealSubscription.objects.filter(enrolment__child__family=family),
        "reservations": Reservation.objects.filter(family=family),
        "justifications": AbsenceJustification.objects.filter(reservation__family=family),
        "invoices": Invoice.objects.filter(family=family),
        "erasure_requests": ErasureRequest.objects.filter(family=family),
        "slots": Slot.objects.all(),
    }
    state = {key: list(qs.order_by("pk").values()) for key, qs in scoped.items()}
    for model in (Payment, PaymentAttempt, StripeEvent, OutboxMessage, Document, Reservation,
                  Enrolment, AnnualFile, Contact, Child, Guardian, AbsenceJustification,
                  MealSubscription, Invitation):
        state[f"count:{model.__name__}"] = model.objects.count()
    state["files"] = {str(p): p.read_bytes() for p in stored_files()}
    return state


def hostile_posts(b):
    """What A's guardian sends: B's ids in every field a view might read."""
    base = {
        "child": b["child"].pk, "children": [b["child"].pk], "site": b["site"].pk,
        "first_name": "Pirate", "last_name": "Pirate", "birth_date": "2016-01-01", "sex": "M",
        "school": "Ailleurs", "school_class": "CM2", "relation": "inconnu", "phone": "0000",
        "reason": "illness", "details": "Pirate", "weekdays": ["0", "1", "3"],
        "document": str(b["document"].pk), "kind": "other", "next": "/",
        "vaccinations_up_to_date": "on", "rules_accepted": "on",
    }
    return [base, {**base, "stop": "1"}, {**base, "submit": "1"}]


def url_for(name, converters, b):
    kwargs = {param: b[SWEEP[(name, param, type(conv).__name__)]].pk
              for param, conv in converters.items()}
    return reverse(name, kwargs=kwargs)


def assert_leaks_nothing(client, response, world, what, allowed=(403, 404, 405)):
    secrets = world["secrets"]
    body = response.content.decode(errors="replace") if not response.streaming else ""
    for secret in secrets:
        assert secret not in body, f"{what}: the answer shows {secret!r}"
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        path = urlsplit(location).path
        b = world["b"]
        for key in ("child", "contact", "invoice", "attempt", "document", "reservation",
                    "canteen_enrolment", "requested_enrolment"):
            assert f"/{b[key].pk}/" not in path, f"{what}: redirected to B's {key}: {location}"
        target = client.get(location)
        assert target.status_code in (200, 404), f"{what}: {location} -> {target.status_code}"
        page = page_text(target)
        for secret in secrets:
            assert secret not in page, f"{what}: the page after the redirect shows {secret!r}"
        return
    assert response.status_code in allowed, (
        f"{what}: answered {response.status_code}, expected one of {allowed}")


SWEPT = sorted(parent_patterns_with_an_id().items())


@pytest.mark.parametrize(("name", "converters"), SWEPT, ids=[n for n, _c in SWEPT])
def test_family_a_gets_nothing_of_family_b(name, converters, parent_client, world,
                                           stripe_server, settings):
    b = world["b"]
    if name == "facturation:demo_bank":  # the demo's page exists: a 404 is about ownership
        settings.PORTAIL_PAYMENT_PROVIDER = "demo"
    url = url_for(name, converters, b)
    before = snapshot(b["family"])

    response = parent_client.get(url)
    # A page of a shared object only (an allocation period: its rules, commitment and
    # published data are everyone's) may open, showing nothing of B.
    shared = all(SWEEP[(name, param, type(conv).__name__)] in SHARED_OBJECTS
                 for param, conv in converters.items())
    assert_leaks_nothing(parent_client, response, world, f"GET {url}",
                         allowed=(200, 403, 404, 405) if shared else (403, 404, 405))
    for data in hostile_posts(b):
        response = parent_client.post(url, data)
        assert_leaks_nothing(parent_client, response, world, f"POST {url} {sorted(data)}")

    assert snapshot(b["family"]) == before, f"{name}: family B's data changed"
    assert stripe_server.requests == [], f"{name}: Stripe was asked to charge B's invoice"


@pytest.mark.parametrize(("name", "converters"), SWEPT, ids=[n for n, _c in SWEPT])
def test_family_b_reaches_the_same_urls(name, converters, world, settings):
    """The control: B's guardian gets his pages, so A's 404s are about ownership."""
    b = world["b"]
    if name == "facturation:demo_bank":
        settings.PORTAIL_PAYMENT_PROVIDER = "demo"
    client = Client()
    client.force_login(b["guardian"].user)
    # Declining names the day in its query: B's own granted day.
    query = b["decline_query"] if name == "reservations:decline" else ""
    response = client.get(url_for(name, converters, b) + query)
    if name in ("facturation:pay", "inscriptions:enrolment_request", "erasure_cancel"):
        assert response.status_code == 405  # POST-only: the sweep's POSTs are what counts
    else:
        assert response.status_code == 200, f"{name}: {response.status_code}"


# --- the parent pages without an id: B's ids in the query string and in POST bodies -------

def parameterless_parent_pages():
    return sorted(name for _r, name, _p, conv in parent_patterns()
                  if not conv and name and name not in ("familles:onboarding",))


@pytest.mark.parametrize("name", parameterless_parent_pages())
def test_parent_pages_never_show_family_b(name, parent_client, world):
    """Every parent page A opens, with B's child named in the query string where a page reads
    one, shows nothing of B; the endpoints that act (POST) refuse B's ids."""
    b = world["b"]
    url = reverse(name)
    before = snapshot(b["family"])
    for query in ({}, {"enfant": b["child"].pk}):
        response = parent_client.get(url, query)
        if response.status_code == 405:
            break
        assert response.status_code in (200, 302, 404), f"GET {url} {query}"
        assert_leaks_nothing(parent_client, response, world, f"GET {url} {query}",
                             allowed=(200, 404))
    assert snapshot(b["family"]) == before


@pytest.mark.parametrize("name", ["reservations:book", "reservations:cancel",
                                  "reservations:book_period"])
def test_booking_endpoints_refuse_family_b_children(name, parent_client, world):
    b, a = world["b"], world["a"]
    slot = Reservation.objects.filter(child=b["child"]).order_by("slot__date").first().slot
    period = slot.activity.booking_periods.first()
    free = SlotFactory(activity=slot.activity, date=slot.date + datetime.timedelta(days=7 * 30))
    before = snapshot(b["family"])
    bodies = [
        # B's child outright.
        {"child": b["child"].pk, "slot": [slot.pk, free.pk], "period": period.pk,
         "waiting_list": "1"},
        # A's own child, with B's child slipped in « children » (book for siblings too).
        {"child": a.child.pk, "children": [b["child"].pk], "slot": [slot.pk, free.pk],
         "period": period.pk, "waiting_list": "1"},
    ]
    for data in bodies:
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            response = parent_client.post(reverse(name), data, headers=headers)
            assert response.status_code == 404, f"POST {name} {data} htmx={htmx}"
            assert_leaks_nothing(parent_client, response, world, f"POST {name}")
    assert snapshot(b["family"]) == before
    assert not Reservation.objects.filter(child=a.child).exists()  # nothing half-done for A
