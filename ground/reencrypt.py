"""Rewriting encrypted columns row by row, in batches (ground module: imports no app): the
migrations that encrypt what was stored in clear, and `manage.py reencrypt`, which moves every
token to the first key of PORTAIL_FIELD_KEY after a rotation.

Raw SQL through the given connection: a migration sees the columns as they are in the
database, not as today's models read them."""

from collections.abc import Callable

from django.apps import apps as django_apps
from django.db import connection, migrations, models, transaction

from . import crypto
from .encrypted_fields import EncryptedTextField
from .encrypted_storage import EncryptedFileSystemStorage

BATCH = 500


def encrypt_if_clear(value: str) -> str:
    return value if crypto.is_token(value) else crypto.encrypt(value)


def decrypt_if_token(value: str) -> str:
    return crypto.decrypt(value) if crypto.is_token(value) else value


def rotate_or_encrypt(value: str) -> str:
    """The value under the first key, whether it was encrypted under another or in clear."""
    return crypto.rotate(value) if crypto.is_token(value) else crypto.encrypt(value)


def rewrite_column(connection, table: str, pk: str, column: str,
                   change: Callable[[str], str], batch: int = BATCH) -> int:
    """Applies ``change`` to every non-empty value of ``table.column``, ``batch`` rows per
    transaction (keyset pages by ``pk``); returns how many values it rewrote."""
    quote = connection.ops.quote_name
    table, pk, column = quote(table), quote(pk), quote(column)
    update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"  # noqa: S608 (quoted names)
    last, rewritten = None, 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            after = "" if last is None else f"AND {pk} > %s"
            cursor.execute(f"SELECT {pk}, {column} FROM {table} "  # noqa: S608 (quoted names)
                           f"WHERE {column} <> '' {after} ORDER BY {pk} LIMIT %s",
                           [batch] if last is None else [last, batch])
            rows = cursor.fetchall()
            changed = [(new, key) for key, value in rows
                       if (new := change(value)) != value]
            if changed:
                cursor.executemany(update, changed)
        rewritten += len(changed)
        if len(rows) < batch:
            return rewritten
        last = rows[-1][0]


def rewrite_model_columns(connection, model, field_names, change) -> int:
    """`rewrite_column` on the named fields of a model (or of a migration's model state)."""
    pk = model._meta.pk.column
    return sum(rewrite_column(connection, model._meta.db_table, pk,
                              model._meta.get_field(name).column, change)
               for name in field_names)


def encrypt_columns(app_label: str, fields_by_model: dict) -> migrations.RunPython:
    """A migration's data step that encrypts the values of these fields still in clear, and,
    reversed, decrypts them (a rollback leaves the columns as the older code reads them)."""

    def run(change):
        def step(apps, schema_editor):
            for model_name, names in fields_by_model.items():
                rewrite_model_columns(schema_editor.connection,
                                      apps.get_model(app_label, model_name), names, change)
        return step

    return migrations.RunPython(run(encrypt_if_clear), run(decrypt_if_token), elidable=False)


# Everything under PORTAIL_FIELD_KEY, for `manage.py reencrypt` -----------------------------

def encrypted_columns() -> list[tuple]:
    """(model, field names) of every installed model with columns encrypted at rest: the
    fields of the encrypted classes (their history's too), and the token columns a model
    declares in ENCRYPTED_TOKEN_FIELDS (written by hand through ground/crypto.py)."""
    found = []
    for model in django_apps.get_models():
        names = [f.name for f in model._meta.concrete_fields
                 if isinstance(f, EncryptedTextField)]
        names += [n for n in getattr(model, "ENCRYPTED_TOKEN_FIELDS", ()) if n not in names]
        if names:
            found.append((model, names))
    return found


def encrypted_storages() -> list[EncryptedFileSystemStorage]:
    """The encrypted storages the models' file fields use, one per directory."""
    found = {}
    for model in django_apps.get_models():
        for field in model._meta.concrete_fields:
            storage = getattr(field, "storage", None)
            if isinstance(field, models.FileField) and isinstance(
                    storage, EncryptedFileSystemStorage):
                found.setdefault(storage.location, storage)
    return list(found.values())


def reencrypt_everything(report: Callable[[str], None]) -> tuple[int, int]:
    """Every encrypted value and file rewritten under the first key of PORTAIL_FIELD_KEY
    (those still in clear encrypted); safe to run again. Returns (values, files)."""
    values = files = 0
    for model, names in encrypted_columns():
        count = rewrite_model_columns(connection, model, names, rotate_or_encrypt)
        report(f"{model._meta.label} ({', '.join(names)}): {count}")
        values += count
    for storage in encrypted_storages():
        count = sum(storage.reencrypt(name) for name in storage.names())
        report(f"{storage.location}: {count}")
        files += count
    return values, files
