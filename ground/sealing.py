"""Sealing text at rest (Fernet from `cryptography`; ground module: imports no app).

The outbox seals the bodies of e-mails that carry a secret (a reset or verification link, an
invitation) or health data, and the staff's second factor seals its TOTP keys and recovery
seeds (allauth's MFA adapter hook), so that neither the admin nor a copy of the database
shows them. Each use derives a key of its own (`purpose`).
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

# Each binds the derived key to one use: the same SECRET_KEY signs other things elsewhere.
OUTBOX = b"ground.outbox.sealed-body"
SECOND_FACTOR = b"portail.mfa.authenticator-secret"


def _fernet(secret: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(purpose: bytes) -> MultiFernet:
    return MultiFernet([_fernet(secret, purpose) for secret in
                        [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])


def seal_text(text: str, purpose: bytes) -> str:
    """An opaque token of ``text`` (ASCII), readable only with the portal's key."""
    return _keys(purpose).encrypt(text.encode()).decode()


def unseal_text(token: str, purpose: bytes) -> str:
    """What `seal_text` sealed; raises cryptography.fernet.InvalidToken if the key has
    changed."""
    return _keys(purpose).decrypt(token.encode()).decode()


def seal(parts: dict[str, str]) -> str:
    """An outbox body's ``parts``, sealed."""
    return seal_text(json.dumps(parts), OUTBOX)


def unseal(token: str) -> dict[str, str]:
    """What `seal` sealed; raises cryptography.fernet.InvalidToken if the key has changed."""
    return json.loads(unseal_text(token, OUTBOX))
