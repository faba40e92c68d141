"""Sealing text at rest (Fernet from `cryptography`; ground module: imports no app).

The outbox seals the bodies of e-mails that carry a secret (a reset or verification link, an
invitation) or health data, so that neither the admin nor a copy of the database shows them.
The key is derived from Django's SECRET_KEY, not a second secret to manage: whoever holds
SECRET_KEY can already mint reset links and sessions, so a separate key would protect nothing
more, and one fewer variable cannot be forgotten. SECRET_KEY_FALLBACKS still open what was
sealed before a key rotation."""

import base64
import json

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Binds the derived key to this one use: the same SECRET_KEY signs other things elsewhere.
PURPOSE = b"portail.outbox.sealed-body"


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(secret) for secret in
                        [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])


def seal(parts: dict[str, str]) -> str:
    """An opaque token of ``parts`` (ASCII), readable only with the portal's key."""
    return _keys().encrypt(json.dumps(parts).encode()).decode()


def unseal(token: str) -> dict[str, str]:
    """What `seal` sealed; raises cryptography.fernet.InvalidToken if the key has changed."""
    return json.loads(_keys().decrypt(token.encode()))
