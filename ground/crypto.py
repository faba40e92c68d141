"""Encrypting at rest (Fernet from `cryptography`; ground module: imports no app).

The children's health data (ground/encrypted_fields.py), the vault's files
(ground/encrypted_storage.py) and the families' bank details (a mandate's IBAN) are read by
the portal for years, long after any e-mail sealed under DJANGO_SECRET_KEY (ground/sealing.py)
is gone: they are encrypted with a key of their own, PORTAIL_FIELD_KEY, so that rotating the
signing key (after a leak, say) never makes them unreadable, and a copy of the database alone
reveals none of them.
PORTAIL_FIELD_KEY lists Fernet keys, comma-separated: the first encrypts, each one decrypts
(a rotation adds the new key first and keeps the old one until `manage.py reencrypt` has
run: docs/donnees-personnelles.md, « Chiffrement au repos »).
The dev and test settings carry a published key; production refuses to start without its own
(the system checks below)."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks

__all__ = ["InvalidToken", "decrypt", "decrypt_bytes", "encrypt", "encrypt_bytes",
           "is_token", "rotate", "rotate_bytes"]

# Every Fernet token starts so (version byte 0x80, then a timestamp whose high bytes are
# zero until the year 10000): what tells a value or a file already encrypted from one
# written in clear before encryption came.
TOKEN_PREFIX = b"gAAAAA"


def _keys() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(text: str) -> str:
    """An opaque token of ``text`` (ASCII), different at each call."""
    return _keys().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """What `encrypt` gave; raises InvalidToken if no configured key opens it."""
    return _keys().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same text, encrypted again with the first key."""
    return _keys().rotate(token.encode()).decode()


def encrypt_bytes(data: bytes) -> bytes:
    return _keys().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _keys().decrypt(token)


def rotate_bytes(token: bytes) -> bytes:
    return _keys().rotate(token)


def is_token(value: str | bytes) -> bool:
    """Whether ``value`` looks like a Fernet token (only opening it proves it is one)."""
    if isinstance(value, str):
        value = value.encode()
    return value.startswith(TOKEN_PREFIX)


@checks.register(checks.Tags.security)
def check_field_keys(app_configs, **kwargs):
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", [])
    if not keys:
        return [checks.Error(
            "PORTAIL_FIELD_KEY is not set: health data, IBANs and documents cannot be "
            "encrypted.",
            hint='Generate one with: python3 -c "from cryptography.fernet import Fernet; '
                 'print(Fernet.generate_key().decode())" and keep it with the backups '
                 "(without it they cannot be read).",
            id="ground.E001")]
    errors = []
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            errors.append(checks.Error(
                "PORTAIL_FIELD_KEY holds a value that is not a Fernet key (32 bytes, "
                "url-safe base64).", id="ground.E002"))
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_field_key_is_not_published(app_configs, **kwargs):
    if settings.DEV_FIELD_KEY in getattr(settings, "FIELD_ENCRYPTION_KEYS", []):
        return [checks.Error("PORTAIL_FIELD_KEY is the published development key.",
                             id="ground.E003")]
    return []
