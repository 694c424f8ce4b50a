"""Secrets Kefu must read back (authenticator seeds, webhook signing secrets), sealed at rest.

One scheme for every app: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a
key derived from Django's SECRET_KEY by HKDF-SHA256 with a per-purpose label, so each feature's
key is independent of the others and of Django's own uses of SECRET_KEY. Values that only need
to be recognised (recovery codes) are stored as an HMAC under such a derived key instead.

Rotation: keys come from SECRET_KEY, then from each SECRET_KEY_FALLBACKS entry, in that order.
Seal with the current key; open with any of them (``opened.stale`` says an old one was needed,
so the caller can re-seal). Once an old key leaves the fallbacks, what it sealed is unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    """No current or fallback key opens the value (SECRET_KEY changed, or it was damaged)."""


@dataclass(frozen=True, slots=True)
class Opened:
    plaintext: str
    stale: bool  # sealed under a fallback key: re-seal it with the current one


def _secret_keys() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def derive_key(secret: str, purpose: bytes) -> bytes:
    """32 bytes for ``purpose`` from one Django secret key (HKDF-SHA256, no salt: the input is
    already a uniformly random key)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode("utf-8")
    )


def _fernet(secret: str, purpose: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret, purpose)))


def seal(plaintext: str, *, purpose: bytes) -> str:
    """Encrypt ``plaintext`` under the current SECRET_KEY's key for ``purpose``."""
    return _fernet(settings.SECRET_KEY, purpose).encrypt(plaintext.encode("utf-8")).decode()


def unseal(token: str, *, purpose: bytes) -> Opened:
    """Decrypt a value sealed for ``purpose`` with the current or any fallback key."""
    for index, secret in enumerate(_secret_keys()):
        try:
            plaintext = _fernet(secret, purpose).decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            continue
        return Opened(plaintext=plaintext.decode("utf-8"), stale=index > 0)
    raise SecretUnreadable


def digests(value: str, *, purpose: bytes) -> list[str]:
    """HMAC-SHA256 of ``value`` under the current key for ``purpose``, then each fallback's.
    Store the first; a stored digest matches if it equals any of them."""
    return [
        hmac.new(derive_key(s, purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()
        for s in _secret_keys()
    ]
