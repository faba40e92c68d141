"""TOTP keys and recovery seeds written before they were sealed (familles.adapters.MFAAdapter)
are sealed in place; a value already sealed is left as it is."""

from cryptography.fernet import InvalidToken
from django.db import migrations

from ground import sealing

SEALED_KEYS = ("secret", "seed")


def sealed(value: str) -> bool:
    try:
        sealing.unseal_text(value, sealing.SECOND_FACTOR)
    except (InvalidToken, ValueError):
        return False
    return True


def seal_secrets(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.all():
        data = authenticator.data
        changed = False
        for key in SEALED_KEYS:
            if key in data and not sealed(data[key]):
                data[key] = sealing.seal_text(data[key], sealing.SECOND_FACTOR)
                changed = True
        codes = data.get("migrated_codes")
        if codes and not all(sealed(code) for code in codes):
            data["migrated_codes"] = [
                code if sealed(code) else sealing.seal_text(code, sealing.SECOND_FACTOR)
                for code in codes]
            changed = True
        if changed:
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):

    dependencies = [
        ("familles", "0004_session_backend_paths"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal_secrets, migrations.RunPython.noop)]
