"""Collection files and mandates at the same instant on PostgreSQL, with real threads each on
its own connection: every invoice is debited once, and a household has one active mandate,
however many staff or parents press the button together (docs/prelevement.md)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from facturation.models import DebitItem, Invoice, Mandate, Payment
from facturation.services import direct_debit as services
from tests.helpers import together
from tests.scenarios.accounts import StaffFactory
from tests.scenarios.billing import InvoiceFactory
from tests.scenarios.direct_debit import FAMILY_IBANS, mandate_for, offer_direct_debit
from tests.scenarios.families import FamilyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_files_prepared_at_once_debit_each_invoice_once():
    offer_direct_debit()
    invoices = []
    for _ in range(4):
        family = FamilyFactory()
        mandate_for(family)
        invoices.append(InvoiceFactory(issued=True, family=family, total_cents=4250))
    day = timezone.localdate() + datetime.timedelta(days=40)
    staff = [StaffFactory(), StaffFactory()]

    errors = together(lambda user: services.prepare_batch(day, user), staff)

    assert sum(error is None for error in errors) == 1
    assert all(isinstance(e, ValidationError) for e in errors if e is not None)
    assert DebitItem.objects.count() == len(invoices)
    assert Payment.objects.filter(method=Payment.Method.DIRECT_DEBIT).count() == len(invoices)
    assert not Invoice.objects.with_balances().filter(balance__gt=0).exists()
    # Each mandate's first debit, once.
    assert sorted(DebitItem.objects.values_list("sequence_type", flat=True)) == ["FRST"] * 4


def test_two_signatures_at_once_leave_one_active_mandate():
    offer_direct_debit()
    family = FamilyFactory()

    errors = together(lambda iban: mandate_for(family, iban=iban),
                      [FAMILY_IBANS[0][0], FAMILY_IBANS[1][0]])

    assert sum(error is None for error in errors) == 1
    assert Mandate.objects.filter(family=family, status=Mandate.Status.ACTIVE).count() == 1
