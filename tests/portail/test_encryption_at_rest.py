"""Encryption at rest (ground/encrypted_fields.py, ground/encrypted_storage.py): what the
database and the vault's directory hold, read raw, shows no health data and no document;
the pages still show them; a key rotation keeps everything readable, then `reencrypt` lets the
old key go."""

import html
import importlib
import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from facturation import direct_debit
from facturation.models import Mandate
from familles.models import Document
from ground import crypto
from ground.admin_health import ordering_path, reaches_encrypted
from ground.encrypted_fields import EncryptedTextField
from inscriptions.models import AnnualFile
from reservations.models import AbsenceJustification
from tests.helpers import pdf_bytes, stored_files
from tests.scenarios.direct_debit import FAMILY_IBANS, mandate_for, offer_direct_debit
from tests.scenarios.enrolments import AnnualFileFactory, SchoolYearFactory
from tests.scenarios.families import ChildFactory
from tests.scenarios.health import health_staff, registered_admins
from tests.scenarios.reservations import ReservationFactory

pytestmark = pytest.mark.django_db

ALLERGY, NOTES, DOCTOR, PHONE = ("Arachide et kiwi", "Asthme : ventoline dans le sac",
                                 "Docteur Mabuse", "06 12 34 56 78")
HEALTH_COLUMNS = ["allergies", "doctor_name", "doctor_phone", "health_notes"]


def raw_values(model, pk, columns, also=""):
    """The columns of the rows of id ``pk`` as the database holds them, read past the ORM
    (a history table has several), ``also`` a further condition."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(quote, columns))} "  # noqa: S608
                       f"FROM {quote(model._meta.db_table)} WHERE id = %s {also}", [pk])
        return cursor.fetchall()


def assert_only_tokens(rows, *clear_texts):
    values = [value for row in rows for value in row]
    assert values and all(crypto.is_token(value) for value in values), values
    for text in clear_texts:
        assert not any(text.lower() in value.lower() for value in values), text


# The database ------------------------------------------------------------------------------

def test_a_dossier_saved_by_the_parent_is_encrypted_in_its_row_and_history(parent_client,
                                                                           family):
    child = ChildFactory(family=family, first_name="Léa")
    url = reverse("inscriptions:annual_file", args=[child.pk, SchoolYearFactory().pk])
    parent_client.post(url)
    response = parent_client.post(url, {
        "school": "École Jules Ferry", "diet": "none", "allowance_body": "caf",
        "allergies": ALLERGY, "health_notes": NOTES, "doctor_name": DOCTOR,
        "doctor_phone": PHONE, "save": ""})
    assert response.status_code == 302
    annual_file = AnnualFile.objects.get(child=child)

    clear = (ALLERGY, "arachide", NOTES, "ventoline", DOCTOR, "Mabuse", "612345678")
    assert_only_tokens(raw_values(AnnualFile, annual_file.pk, HEALTH_COLUMNS), *clear)
    # The history keeps the version before (empty) and the saved one, encrypted as well.
    history = AnnualFile.history.model
    assert len(raw_values(history, annual_file.pk, ["id"])) >= 2
    assert_only_tokens(raw_values(history, annual_file.pk, HEALTH_COLUMNS,
                                  also="AND allergies <> ''"), *clear)

    # Still the parent's words for the parent, and the phone in its one spelling.
    page = html.unescape(parent_client.get(url).content.decode())
    assert ALLERGY in page and NOTES in page and DOCTOR in page
    assert (annual_file.allergies, annual_file.doctor_phone) == (ALLERGY, "06 12 34 56 78")
    assert annual_file.history.first().allergies == ALLERGY


def test_a_priority_reason_set_in_the_admin_is_encrypted_in_its_row_and_history(client):
    """The reason staff give a child's allocation priority may tell a disability."""
    from reservations.models import AllocationPriority

    child = ChildFactory(first_name="Lou")
    client.force_login(health_staff())
    response = client.post("/gestion/reservations/allocationpriority/add/", {
        "child": child.pk, "family": "", "note": "Handicap moteur (MDPH)", "valid_until": ""})
    assert response.status_code == 302
    priority = AllocationPriority.objects.get(child=child)
    assert_only_tokens(raw_values(AllocationPriority, priority.pk, ["note"]), "Handicap")
    assert_only_tokens(raw_values(AllocationPriority.history.model, priority.pk, ["note"]),
                       "Handicap")
    page = client.get(f"/gestion/reservations/allocationpriority/{priority.pk}/change/")
    assert "Handicap moteur (MDPH)" in html.unescape(page.content.decode())


def test_an_absence_justification_is_encrypted_and_only_emptiness_shows(guardian):
    child = ChildFactory(family=guardian.family)
    said = AbsenceJustification.objects.create(
        reservation=ReservationFactory(child=child), reason="illness", details="Gastro-entérite",
        submitted_by=guardian.user)
    silent = AbsenceJustification.objects.create(
        reservation=ReservationFactory(child=child), reason="family", details="",
        submitted_by=guardian.user)
    assert_only_tokens(raw_values(AbsenceJustification, said.pk, ["details"]), "Gastro")
    assert raw_values(AbsenceJustification, silent.pk, ["details"]) == [("",)]
    history = AbsenceJustification.history.model
    assert_only_tokens(raw_values(history, said.pk, ["details"]), "Gastro")
    assert AbsenceJustification.objects.get(pk=said.pk).details == "Gastro-entérite"
    assert list(AbsenceJustification.objects.filter(details="")) == [silent]


def test_an_encrypted_field_refuses_what_a_token_cannot_answer(guardian):
    AnnualFileFactory(child=ChildFactory(family=guardian.family), allergies=ALLERGY)
    for lookup in ("allergies__icontains", "allergies__startswith", "allergies__gt",
                   "allergies__in", "allergies__lower"):
        with pytest.raises(FieldError):
            list(AnnualFile.objects.filter(**{lookup: "arachide"}))
    with pytest.raises(FieldError, match="encrypted"):
        list(AnnualFile.objects.filter(allergies=ALLERGY))
    assert AnnualFile.objects.exclude(allergies="").count() == 1
    assert not AnnualFile.objects.filter(allergies__isnull=True).exists()


def test_a_missing_key_is_named_not_a_garbled_value(guardian, settings):
    AnnualFileFactory(child=ChildFactory(family=guardian.family), allergies=ALLERGY)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="PORTAIL_FIELD_KEY"):
        AnnualFile.objects.get()


def test_the_migration_encrypts_rows_in_clear_and_its_reverse_decrypts_them(guardian):
    """The data step of inscriptions' migration, on the real tables: rows written in clear
    before it (by raw SQL, as the older code stored them) come out encrypted; reversed, in
    clear again, as the older code reads them."""
    annual_file = AnnualFileFactory(child=ChildFactory(family=guardian.family),
                                    allergies="", doctor_name="")
    table = connection.ops.quote_name(AnnualFile._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET allergies = %s, doctor_name = %s "  # noqa: S608
                       "WHERE id = %s", [ALLERGY, DOCTOR, annual_file.pk])
    migration = importlib.import_module("inscriptions.migrations.0010_health_fields_encrypted")
    data_step = migration.Migration.operations[-1]

    with connection.schema_editor() as editor:
        data_step.code(apps, editor)
    assert_only_tokens(raw_values(AnnualFile, annual_file.pk, ["allergies", "doctor_name"]),
                       ALLERGY, DOCTOR)
    annual_file.refresh_from_db()
    assert (annual_file.allergies, annual_file.doctor_name) == (ALLERGY, DOCTOR)
    with connection.schema_editor() as editor:
        data_step.code(apps, editor)  # twice: the tokens are left as they are
        data_step.reverse_code(apps, editor)
    assert raw_values(AnnualFile, annual_file.pk, ["allergies", "doctor_name"]) == [
        (ALLERGY, DOCTOR)]


# The vault ---------------------------------------------------------------------------------

def test_an_uploaded_document_is_encrypted_on_disk_and_downloads_identical(parent_client,
                                                                          staff_user):
    content = pdf_bytes("Avis d'imposition 2026")
    parent_client.post("/documents/", {
        "kind": "tax_notice", "child": "", "valid_until": "",
        "file": SimpleUploadedFile("avis.pdf", content)})
    document = Document.objects.get()
    [path] = stored_files()
    raw = path.read_bytes()
    assert raw.startswith(crypto.TOKEN_PREFIX)
    assert b"%PDF" not in raw and b"imposition" not in raw

    staff = Client()
    staff.force_login(staff_user)
    for client in (parent_client, staff):
        response = client.get(f"/documents/{document.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert int(response["Content-Length"]) == len(content)


# Key rotation ------------------------------------------------------------------------------

def test_a_rotation_keeps_everything_readable_and_reencrypt_lets_the_old_key_go(
        guardian, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    annual_file = AnnualFileFactory(child=ChildFactory(family=guardian.family),
                                    allergies=ALLERGY, doctor_phone=PHONE)
    offer_direct_debit()
    mandate = mandate_for(guardian.family)
    document = Document(family=guardian.family, kind=Document.Kind.TAX_NOTICE,
                        original_name="avis.pdf", content_type="application/pdf",
                        size=len(pdf_bytes()))
    document.file.save("avis.pdf", ContentFile(pdf_bytes()))
    # A file an older version wrote in clear, next to them.
    legacy = stored_files()[0].parent / "ancien.pdf"
    legacy.write_bytes(pdf_bytes("Ancien"))

    def everything():
        document_file = Document.objects.get(pk=document.pk).file
        with document_file.open("rb") as handle:
            content = handle.read()
        found = AnnualFile.objects.get(pk=annual_file.pk)
        return (found.allergies, found.doctor_phone, content,
                direct_debit.clear_iban(Mandate.objects.get(pk=mandate.pk)))
    expected = (ALLERGY, "06 12 34 56 78", pdf_bytes(), FAMILY_IBANS[0][0])

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # step 1: the new key first, the old kept
    assert everything() == expected
    call_command("reencrypt", stdout=io.StringIO())
    assert not any(p.read_bytes().startswith(b"%PDF") for p in stored_files())

    settings.FIELD_ENCRYPTION_KEYS = [new]  # step 3: the old key dropped
    assert everything() == expected
    assert Document.objects.get(pk=document.pk).file.storage.open(
        str(legacy.relative_to(settings.PRIVATE_MEDIA_ROOT))).read() == pdf_bytes("Ancien")

    settings.FIELD_ENCRYPTION_KEYS = [old]  # the old key alone opens nothing any more
    with pytest.raises(ImproperlyConfigured, match="PORTAIL_FIELD_KEY"):
        AnnualFile.objects.get(pk=annual_file.pk)
    with pytest.raises(crypto.InvalidToken):
        direct_debit.clear_iban(Mandate.objects.get(pk=mandate.pk))
    with pytest.raises(crypto.InvalidToken):
        Document.objects.get(pk=document.pk).file.open("rb")


def test_reencrypt_encrypts_rows_left_in_clear_and_counts(guardian, capsys):
    annual_file = AnnualFileFactory(child=ChildFactory(family=guardian.family),
                                    allergies="", health_notes="")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(AnnualFile._meta.db_table)} "  # noqa: S608
                       "SET health_notes = %s WHERE id = %s", [NOTES, annual_file.pk])
    values = [v for row in raw_values(AnnualFile, annual_file.pk, HEALTH_COLUMNS) for v in row]
    call_command("reencrypt")
    out = capsys.readouterr().out.splitlines()
    count = sum(1 for value in values if value)  # the one in clear and the doctor's
    assert count >= 2
    assert (f"inscriptions.AnnualFile (allergies, doctor_name, doctor_phone, health_notes): "
            f"{count}") in out
    assert_only_tokens(raw_values(AnnualFile, annual_file.pk, ["health_notes"]), NOTES)
    assert AnnualFile.objects.get().health_notes == NOTES


# The admin ---------------------------------------------------------------------------------

def test_no_admin_offers_a_search_filter_or_sort_on_an_encrypted_field(rf):
    """Every admin of the site, as written and as the guard serves it to staff holding every
    health permission."""
    request = rf.get("/gestion/")
    request.user = health_staff()
    encrypted = [(m, f.name) for m in apps.get_models() for f in m._meta.concrete_fields
                 if isinstance(f, EncryptedTextField)]
    assert {(m._meta.label, name) for m, name in encrypted} >= {
        ("inscriptions.AnnualFile", "allergies"), ("reservations.AbsenceJustification",
                                                   "details")}
    admins = registered_admins()
    assert len(admins) > 20
    for model_admin in admins:
        model = model_admin.model
        filters = [f[0] if isinstance(f, (list, tuple)) else f
                   for f in model_admin.list_filter]
        searched = [name.lstrip("^=@") for name in model_admin.search_fields]
        ordered = [ordering_path(o) for o in model_admin.ordering or ()]
        for path in [*filters, *searched, *ordered]:
            assert not (isinstance(path, str) and reaches_encrypted(model, path)), (
                model_admin, path)
        for name in model_admin.get_sortable_by(request):
            column = model_admin._column_order_path(name)
            assert not (column and reaches_encrypted(model, column)), (model_admin, name)
