"""Review finding 8: odd input never gives a 500 on the parent side.

Every parent URL pattern (the resolver's tree, less the admin and allauth: tests/url_tree.py)
is called by a logged-in parent whose family has everything the views read (a child with a
validated file, enrolments, a canteen subscription, bookings, an issued invoice, a document,
a contact, an invitation, a calendar feed), so that each view goes as deep as it can. Then,
one at a time:

- each path parameter gets odd values (beyond bigint, zero, the nil UUID, odd tokens);
- each query parameter the view reads (found in its source: `request.GET.get("…")`…) gets
  every value of `ODD`, with GET;
- each field of the view's forms (read from the pages themselves, and from its source) gets
  every value of `ODD`, with POST, the other fields keeping the page's own values.

No answer may be a 500, and a 400 or 404 page is the portal's French one. A new URL, a new
query parameter or a new form field is swept without anyone adding it here."""

import datetime
import inspect
import re
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from facturation.models import Attestation, Invoice, PaymentAttempt
from facturation.services.attestations import payments_figures
from familles.counter import claim_path
from familles.models import Invitation
from inscriptions.models import AnnualFile
from reservations.models import MealSubscription, Reservation
from reservations.services.feeds import feed_for
from tests.scenarios.accounts import UserFactory
from tests.scenarios.allocation import periods_in_every_state
from tests.scenarios.billing import InvoiceFactory, priced_activity
from tests.scenarios.enrolments import ActivityFactory, EnrolmentFactory
from tests.scenarios.erasure import pending_request
from tests.scenarios.families import ContactFactory, GuardianFactory
from tests.scenarios.personal_data import ready_export
from tests.scenarios.reservations import (
    ReservationFactory,
    SlotFactory,
    bookable_activity,
    ready_child,
)
from tests.url_tree import parent_side

pytestmark = pytest.mark.django_db

BIG = str(2**70)
# What a hand-edited address, a broken client or a fuzzer sends.
ODD = [BIG, f"-{BIG}", "9223372036854775808", "-1", "0", "", " ", "abc", "é", "²", "１２",
       "\x00", "0001-01", "9999-12", "10000-01", "2026-13", "2026-00", "1e400", "NaN",
       "<script>", "x" * 5000]
# Form fields get fewer (each POST renders a whole form): one of each kind of trouble.
ODD_FIELD = [BIG, "-1", "", "abc", "²", "\x00", "2026-13", "x" * 5000]
# And the htmx answer (a fragment, not the page) the ones a number or a text column chokes on.
ODD_HTMX = [BIG, "²", "\x00"]
# Path parameters, by converter: what its pattern lets through, and some that it does not.
ODD_PATH = {
    "IntConverter": [BIG, "9223372036854775808", "2147483648", "0", "00", "-1", "abc"],
    "UUIDConverter": ["00000000-0000-0000-0000-000000000000",
                      "ffffffff-ffff-ffff-ffff-ffffffffffff", "abc"],
    "StringConverter": ["abc", "é", "\x00", "0", BIG, "x" * 2000],
}
# Which of the parent's own objects fills each path parameter (a new one fails below).
OWN = {
    "pk": {"familles:child_edit": "child", "familles:contact_edit": "contact",
           "familles:contact_delete": "contact", "familles:document_download": "document",
           "familles:document_delete": "document", "inscriptions:enrolment_withdraw":
           "requested_enrolment", "reservations:subscription": "canteen_enrolment",
           "facturation:invoice": "invoice", "facturation:invoice_pdf": "invoice",
           "facturation:attestation_pdf": "attestation", "data_export_download": "data_export",
           "erasure_cancel": "erasure_request"},
    "child_pk": "child", "year_pk": "year", "activity_pk": "open_activity",
    "reservation_pk": "reservation", "invoice_pk": "invoice", "attempt_pk": "attempt",
    "token": None,
    "uidb64": "claim_uid", "period_pk": "allocation_period",
}
TOKENS = {"familles:invitation_accept": "invitation", "reservations:feed": "feed",
          "familles:claim": "claim_token"}
# How a view reads its input, as written in its source.
READS = re.compile(r"""(GET|POST|\bpost)(?:\.get|\.getlist|\[)\(?["'](\w+)["']"""
                   r"""|["'](\w+)["'] in (?:self\.)?request\.(GET|POST)""")


def parent_urls():
    return [(route, name, pattern, converters) for route, name, pattern, converters
            in parent_side()]


def param_object(name, param) -> str | None:
    found = OWN.get(param)
    if isinstance(found, dict):
        return found.get(name)
    return TOKENS.get(name) if param == "token" else found


def test_every_parent_url_is_named_and_its_parameters_known():
    """The sweep reaches a URL by its name and fills its path from `OWN`."""
    unknown = [(name, param) for _route, name, _p, converters in parent_urls()
               for param in converters if name is None or param_object(name, param) is None]
    assert not unknown, f"map these path parameters to an object of the family: {unknown}"
    assert len(parent_urls()) > 30


def view_reads(pattern) -> dict[str, set[str]]:
    """{"GET": {…}, "POST": {…}}: the parameters the view's own code reads."""
    view = getattr(pattern.callback, "view_class", pattern.callback)
    sources = [view] if not inspect.isclass(view) else [
        cls for cls in view.__mro__ if cls.__module__.split(".")[0] in {
            "familles", "inscriptions", "reservations", "facturation", "portail"}]
    found = {"GET": set(), "POST": set()}
    for source in sources:
        for match in READS.finditer(inspect.getsource(source)):
            if match[1]:
                found[match[1].upper()].add(match[2])
            else:
                found[match[4]].add(match[3])
    return found


def test_the_source_reader_finds_what_views_read():
    reads = {name: view_reads(pattern) for _r, name, pattern, _c in parent_urls()}
    assert reads["reservations:calendar"]["GET"] == {"enfant", "mois"}
    assert {"child", "children", "slot", "mois", "waiting_list"} <= reads[
        "reservations:book"]["POST"]
    assert {"period", "unit", "weekday"} <= reads["reservations:book_period"]["POST"]
    assert "stop" in reads["reservations:subscription"]["POST"]
    assert "session_id" in reads["facturation:payment_return"]["GET"]


class Forms(HTMLParser):
    """The POST forms of a page: {action path: {field: value}}, as a browser would send them
    untouched (checked boxes, selected or first options, hidden fields, texts)."""

    def __init__(self, page_path):
        super().__init__()
        self.page_path, self.forms, self.current, self.select = page_path, {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            action = urlsplit(attrs.get("action") or self.page_path).path
            self.current = self.forms.setdefault(action, {})
        elif self.current is None or not attrs.get("name"):
            return
        elif tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                self.current.setdefault(attrs["name"], None)
            else:
                self.current[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self.select = attrs["name"]
            self.current.setdefault(self.select, None)
        elif tag == "option" and self.select:
            if self.current.get(self.select) is None or "selected" in attrs:
                self.current[self.select] = attrs.get("value", "")
        elif tag == "textarea":
            self.current.setdefault(attrs["name"], "texte")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


@pytest.fixture(scope="module")
def everything(django_db_setup, django_db_blocker, tmp_path_factory):
    """A guardian's family with one of everything a parent page reads, built once for the
    module's sweeps in a transaction rolled back after the last one. Each sweep runs in a
    savepoint of it (pytest-django's `db`), so that what one sweep's requests change is
    undone before the next, as if built afresh."""
    from django.db import transaction
    from django.test import override_settings

    from tests.scenarios.families import GuardianFactory

    private_root = tmp_path_factory.mktemp("private")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PRIVATE_MEDIA_ROOT=private_root):
                objects = built_for(GuardianFactory())
                objects["calendar_forms"] = calendar_forms(objects["guardian"])
        except BaseException:
            outer.__exit__(None, None, None)
            raise
    yield {**objects, "private_root": private_root}
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def family_with_everything(everything, db, settings):
    settings.STRIPE_SECRET_KEY = ""  # no Stripe call
    settings.PORTAIL_PAYMENT_PROVIDER = "demo"  # « Payer » and the demo's page, offline
    settings.PRIVATE_MEDIA_ROOT = everything["private_root"]  # where its document is
    return everything


def calendar_forms(guardian) -> dict:
    """The forms of the guardian's calendar, where the booking views' forms are."""
    client = Client(raise_request_exception=False)
    client.force_login(guardian.user)
    page = reverse("reservations:calendar")
    response = client.get(page)
    assert response.status_code == 200
    parser = Forms(page)
    parser.feed(response.content.decode())
    return parser.forms


def built_for(guardian) -> dict:
    """The guardian's family, with one of everything a parent page reads."""
    activity = priced_activity(name="Mercredis des Tilleuls")
    year = activity.school_year
    canteen = bookable_activity(canteen=True, school_year=year)
    open_activity = ActivityFactory(staff_validated=True, school_year=year, name="Poterie")
    SlotFactory(activity=canteen)
    booker = ready_child(activity, guardian)
    child = booker.child
    canteen_enrolment = EnrolmentFactory(child=child, activity=canteen,
                                         requested_by=guardian.user)
    MealSubscription.objects.create(enrolment=canteen_enrolment, weekdays=[0, 3],
                                    applies_from=year.start_date, updated_by=guardian.user)
    requested = EnrolmentFactory(child=child, activity=ActivityFactory(
        staff_validated=True, school_year=year), state="requested", decided_at=None,
        requested_by=guardian.user)
    first = SlotFactory(activity=activity)
    SlotFactory(activity=activity, date=first.date + datetime.timedelta(days=7))
    reservation = ReservationFactory(slot=first, child=child, state=Reservation.State.CONFIRMED)
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=4250)
    assert invoice.state == Invoice.State.ISSUED
    attempt = PaymentAttempt.objects.create(  # an online payment started (its return page)
        invoice=invoice, provider=PaymentAttempt.Provider.DEMO, amount_cents=4250,
        state=PaymentAttempt.State.PENDING, provider_reference="demo-odd-input")
    issued_in = timezone.localtime(invoice.issued_at).year  # the year of its relevé
    return {
        "guardian": guardian,
        "allocation_period": periods_in_every_state(guardian, year)["periods"]["published"],
        "child": child, "year": year, "open_activity": open_activity,
        "canteen_enrolment": canteen_enrolment, "requested_enrolment": requested,
        "reservation": reservation, "invoice": invoice, "attempt": attempt,
        "data_export": ready_export(guardian.user, guardian.family),
        "erasure_request": pending_request(guardian),
        "document": AnnualFile.objects.get(child=child).vaccination_document,
        "contact": ContactFactory(family=guardian.family, children=[child]),
        "invitation": Invitation.objects.create(family=guardian.family,
                                                email="oncle@example.org",
                                                invited_by=guardian),
        "feed": feed_for(guardian.family),
        # The link a guardian served at the counter is e-mailed to claim his access.
        **claim_link(guardian),
        "attestation": Attestation.objects.create(
            kind=Attestation.Kind.PAYMENTS, family=guardian.family, year=issued_in,
            state=Attestation.State.ISSUED, number=f"RP-{issued_in}-000001",
            issued_at=timezone.now(), data=payments_figures(guardian.family, issued_in)),
    }


def claim_link(guardian) -> dict:
    account = UserFactory(email="au.guichet@example.org")
    account.set_unusable_password()
    account.save()
    GuardianFactory(user=account, family=guardian.family)
    uid, token = claim_path(account).strip("/").split("/")[-2:]
    return {"claim_uid": SimpleNamespace(token=uid), "claim_token": SimpleNamespace(token=token)}


def value_of(obj) -> str:
    token = getattr(obj, "token", None)
    return str(token if token is not None else obj.pk)


def url_with(route, converters, values: dict[str, str]) -> str:
    path = route
    for param, converter in converters.items():
        kind = {"IntConverter": "int", "UUIDConverter": "uuid"}.get(
            type(converter).__name__, "str")
        path = path.replace(f"<{kind}:{param}>", quote(values[param], safe=""))
    return "/" + path.lstrip("^").rstrip("$")


def check(response, what, failures):
    status = response.status_code
    if status >= 500:
        failures.append(f"{what}: {status}")
    elif (status in (400, 404) and response.get("Content-Type", "").startswith("text/html")
          and '<html lang="fr">' not in response.content.decode(errors="replace")):
        failures.append(f"{what}: {status} without the portal's French page")


def short(value: str) -> str:
    return repr(value if len(value) < 20 else value[:8] + f"…({len(value)})")


@pytest.mark.parametrize("route_name", [name for _r, name, _p, _c in parent_urls()])
def test_odd_input_never_gives_a_500(family_with_everything, route_name):
    [(route, name, pattern, converters)] = [u for u in parent_urls() if u[1] == route_name]
    objects = family_with_everything
    client = Client(raise_request_exception=False)
    client.force_login(objects["guardian"].user)
    own = {param: value_of(objects[param_object(name, param)]) for param in converters}
    url = url_with(route, converters, own)
    failures = []

    # The page as the parent opens it, and the forms it (or the calendar) offers.
    forms = objects["calendar_forms"]
    response = client.get(url)
    check(response, f"GET {url}", failures)
    if response.get("Content-Type", "").startswith("text/html"):
        parser = Forms(url)
        parser.feed(response.content.decode())
        forms = {**forms, **parser.forms}

    for param, converter in converters.items():
        for odd in ODD_PATH[type(converter).__name__]:
            odd_url = url_with(route, converters, {**own, param: odd})
            for method in ("get", "post"):
                check(getattr(client, method)(odd_url), f"{method.upper()} {route} "
                      f"{param}={short(odd)}", failures)

    reads = view_reads(pattern)
    for param in sorted(reads["GET"]):
        for odd in ODD:
            check(client.get(url, {param: odd}), f"GET {url}?{param}={short(odd)}", failures)

    base = {field: value for field, value in forms.get(urlsplit(url).path, {}).items()
            if value is not None and field != "csrfmiddlewaretoken"}
    for field in sorted(set(forms.get(urlsplit(url).path, {})) | reads["POST"]
                        - {"csrfmiddlewaretoken"}):
        for odd in ODD_FIELD:
            check(client.post(url, {**base, field: odd}), f"POST {url} {field}={short(odd)}",
                  failures)
        for odd in ODD_HTMX:
            check(client.post(url, {**base, field: odd}, HTTP_HX_REQUEST="true"),
                  f"POST (htmx) {url} {field}={short(odd)}", failures)
    # The body itself odd: not form-encoded at all.
    check(client.post(url, "\x00\xff{" * 10, content_type="application/json"),
          f"POST {url} JSON garbage", failures)
    check(client.get(url + "?" + urlencode({"x": "1"}) + "&%ff=%00"), f"GET {url} odd query",
          failures)

    assert not failures, "\n".join(failures[:40])
