"""The commune's billing settings are data staff edit: a new payment term applies to the next
invoices issued, and the payment methods the commune does not offer are not offered."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from facturation.models import Invoice
from facturation.services.billing import issue_run, prepare_run
from ground.commune import commune, update_commune
from tests.helpers import visible_text
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.families import ChildFactory
from tests.scenarios.reservations import ReservationFactory, SlotFactory

pytestmark = pytest.mark.django_db

CHANGE = reverse("admin:ground_communesettings_change", args=[1])


def edit_in_admin(client, **changes):
    row = commune()
    data = {f.name: getattr(row, f.name) for f in row._meta.concrete_fields
            if f.editable and f.name != "payment_methods"}
    data["payment_methods"] = row.payment_methods
    data.update(changes)
    response = client.post(CHANGE, data)
    assert response.status_code == 302, visible_text(response)


def test_a_new_payment_term_applies_to_the_next_invoices(priced, staff_client, staff_user):
    october = datetime.date(priced.school_year.start_date.year, 10, 1)
    wednesday = october + datetime.timedelta(days=(2 - october.weekday()) % 7)
    ReservationFactory(slot=SlotFactory(activity=priced, date=wednesday), child=ChildFactory())
    edit_in_admin(staff_client, invoice_due_days=45)

    issued_at = datetime.datetime(october.year, 11, 5, 10, tzinfo=ZoneInfo("Europe/Paris"))
    issue_run(prepare_run(october).pk, staff_user, now=issued_at)

    invoice = Invoice.objects.get(state=Invoice.State.ISSUED)
    assert invoice.due_date == issued_at.date() + datetime.timedelta(days=45)


def test_without_card_payment_the_page_offers_what_the_commune_accepts(parent_client, family):
    invoice = InvoiceFactory(issued=True, family=family, total_cents=6380)
    update_commune(payment_methods=["cheque", "cash"])

    text = visible_text(parent_client.get(reverse("facturation:payment", args=[invoice.pk])))

    assert "Payer en ligne" not in text
    assert "Chèque ou espèces : auprès du service" in text
    assert "virement" not in text.lower()
