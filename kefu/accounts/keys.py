"""Sealing for account-security secrets (kefu.core.secretbox, one purpose label each).

Authenticator secrets must be readable by the server (it computes the expected code), so they
are sealed, not hashed. Recovery codes only need to be recognised, so they are stored as an
HMAC. A secret opened with an old key (SECRET_KEY_FALLBACKS) is re-sealed with the current one
when it is next used, and ``kefu twofactor_rekey`` re-seals all of them at once. Once an old key
is dropped from the fallbacks, secrets and recovery codes still under it can no longer be read:
those staff must enrol again (an admin resets their two-factor sign-in).
"""

from __future__ import annotations

from kefu.core import secretbox
from kefu.core.secretbox import SecretUnreadable as UnreadableSecret

TOTP_PURPOSE = b"kefu.accounts.totp-secret.v1"
RECOVERY_PURPOSE = b"kefu.accounts.recovery-code.v1"

__all__ = ["UnreadableSecret", "code_digests", "decrypt", "encrypt"]


def encrypt(plaintext: str) -> str:
    """Seal an authenticator secret with the key of the current SECRET_KEY."""
    return secretbox.seal(plaintext, purpose=TOTP_PURPOSE)


def decrypt(token: str) -> tuple[str, bool]:
    """The plaintext, and whether it was sealed under an old key (re-seal it then)."""
    opened = secretbox.unseal(token, purpose=TOTP_PURPOSE)
    return opened.plaintext, opened.stale


def code_digests(code: str) -> list[str]:
    """HMAC-SHA256 of a recovery code under the current key, then under each fallback key."""
    return secretbox.digests(code, purpose=RECOVERY_PURPOSE)
