"""Seal webhook signing secrets at rest (kefu.core.secretbox, with its own purpose label).

Kefu must read the secret back to sign, so it cannot be hashed like an API key. A secret sealed
under an old SECRET_KEY still opens while that key is in SECRET_KEY_FALLBACKS; after that it is
unreadable: rotate every endpoint's secret (docs/subsystems/webhooks.md).
"""

from __future__ import annotations

import secrets

from kefu.core import secretbox

_PURPOSE = b"kefu.integrations.webhook-secret.v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret


class SecretUnavailable(Exception):
    """The sealed secret cannot be opened (SECRET_KEY changed, or the value is damaged)."""


def new_secret() -> str:
    """A fresh signing secret, shown to the admin once."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def seal(secret: str) -> str:
    return secretbox.seal(secret, purpose=_PURPOSE)


def unseal(token: str) -> str:
    try:
        return secretbox.unseal(token, purpose=_PURPOSE).plaintext
    except secretbox.SecretUnreadable as exc:
        raise SecretUnavailable("the secret cannot be opened with this SECRET_KEY") from exc
