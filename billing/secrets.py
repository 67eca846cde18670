"""Secrets an organization hands us (its Stripe secret key), encrypted at rest with Fernet (AES-CBC and an
HMAC-SHA256 over it): a token read from the database or a backup is useless without the key, and an altered
one is refused rather than decrypted to garbage.

The Fernet key is derived with HKDF-SHA256 from settings.PAYMENTS_ENCRYPTION_KEY, or from SECRET_KEY where
that is empty (development and tests; production settings require their own key).
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Binds the derived key to this one use, so the same setting can never yield it anywhere else.
KEY_PURPOSE = b"roster billing: organization secrets"


class UnreadableSecret(Exception):
    """The token was altered, or encrypted under another key."""


def _fernet() -> Fernet:
    material = (settings.PAYMENTS_ENCRYPTION_KEY or settings.SECRET_KEY).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise UnreadableSecret("This secret was altered or encrypted under another key.") from None
