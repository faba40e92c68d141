"""Issue 27, « Nothing lost: backups that restore »: scripts/backup.sh backs up a seeded portal
(families, a document with its file, an issued invoice with its PDF, a payment); restored by
scripts/restore.sh into a fresh database and an empty documents' directory, every row of
every table and every file's bytes are identical."""

import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from psycopg import sql

from facturation.models import Invoice
from familles.models import Document, Family
from tests.helpers import pdf_bytes, stored_files
from tests.scenarios.billing import InvoiceFactory, pay
from tests.scenarios.enrolments import AnnualFileFactory
from tests.scenarios.families import DocumentFactory, GuardianFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCRIPTS = Path(settings.BASE_DIR) / "scripts"


def url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:"
            f"{db['PORT'] or 5432}/{name}")


def admin_sql(statement: str) -> None:
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(statement)


def script(name: str, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPTS / name), *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def every_row(dsn: str) -> dict[str, list]:
    """Each table of the portal's schema, its rows in a stable order."""
    with psycopg.connect(dsn) as db:
        tables = [row[0] for row in db.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'public' order by table_name")]
        return {table: sorted(map(repr, db.execute(
            sql.SQL("select * from {}").format(sql.Identifier(table)))))
                for table in tables}


def file_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes()
            for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def fresh_database():
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin_sql(f'create database "{name}"')
    yield name
    admin_sql(f'drop database if exists "{name}" with (force)')


def test_a_backup_restores_every_family_invoice_and_document(tmp_path, fresh_database):
    guardian = GuardianFactory()
    AnnualFileFactory(child__family=guardian.family)
    DocumentFactory(family=guardian.family, kind=Document.Kind.CAF,
                    file=ContentFile(pdf_bytes("Attestation CAF"), name="caf.pdf"))
    invoice = InvoiceFactory(issued=True, family=guardian.family, total_cents=4250,
                             pdf=ContentFile(pdf_bytes("Facture 4250"), name="facture.pdf"))
    pay(invoice)
    GuardianFactory()  # a second household
    media = Path(settings.PRIVATE_MEDIA_ROOT)
    assert len(stored_files()) >= 4  # the documents and the invoice's PDF
    assert Family.objects.count() == 2 and Invoice.objects.count() == 1

    backups = tmp_path / "backups"
    made = script("backup.sh", DATABASE_URL=url(connection.settings_dict["NAME"]),
                  PORTAIL_PRIVATE_MEDIA_ROOT=str(media), PORTAIL_BACKUP_DIR=str(backups))
    assert made.returncode == 0, made.stderr
    [backup] = backups.iterdir()
    assert sorted(p.name for p in backup.iterdir()) == [
        "SHA256SUMS", "database.dump", "documents.tar"]

    restored_media = tmp_path / "restored-private"
    restore = script("restore.sh", str(backup), DATABASE_URL=url(fresh_database),
                     PORTAIL_PRIVATE_MEDIA_ROOT=str(restored_media))
    assert restore.returncode == 0, restore.stderr

    original = every_row(url(connection.settings_dict["NAME"]))
    restored = every_row(url(fresh_database))
    assert restored == original
    for table in ("familles_family", "familles_document", "facturation_invoice",
                  "facturation_payment", "inscriptions_annualfile"):
        assert original[table], table  # the comparison covered real rows
    assert file_bytes(restored_media) == file_bytes(media)

    # Never over a portal: a second restore into the now full database is refused.
    again = script("restore.sh", str(backup), DATABASE_URL=url(fresh_database),
                   PORTAIL_PRIVATE_MEDIA_ROOT=str(tmp_path / "elsewhere"))
    assert again.returncode != 0 and "not empty" in again.stderr


def test_a_damaged_backup_is_refused_before_anything_is_written(tmp_path, fresh_database):
    GuardianFactory()  # no document yet: the documents' directory does not exist
    backups = tmp_path / "backups"
    assert script("backup.sh", DATABASE_URL=url(connection.settings_dict["NAME"]),
                  PORTAIL_PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),
                  PORTAIL_BACKUP_DIR=str(backups)).returncode == 0
    [backup] = backups.iterdir()
    with open(backup / "database.dump", "r+b") as dump:
        dump.seek(100)
        dump.write(b"\0" * 16)
    refused = script("restore.sh", str(backup), DATABASE_URL=url(fresh_database),
                     PORTAIL_PRIVATE_MEDIA_ROOT=str(tmp_path / "restored"))
    assert refused.returncode != 0 and "FAILED" in refused.stdout + refused.stderr
    assert every_row(url(fresh_database)) == {}
    assert not (tmp_path / "restored").exists()
