"""Identity tokens: the exchange's backend signs who its logged-in user is (HS256 JWT).

The token is signed with the chat site's identity secret. ``sub`` is the exchange's user id;
``exp`` is required and the lifetime is capped, so a leaked token is only briefly useful.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from kefu.inbox.models import ChatSite

MAX_LIFETIME_SECONDS = 24 * 3600
LEEWAY_SECONDS = 30


class IdentityError(Exception):
    """The token is missing a claim, expired, forged or otherwise unusable."""


@dataclass(frozen=True)
class Identity:
    external_id: str
    email: str = ""
    name: str = ""
    language: str = ""


def _text(claims: dict[str, object], key: str, limit: int) -> str:
    value = claims.get(key, "")
    if not isinstance(value, str):
        raise IdentityError(f"claim {key} must be a string")
    return value.strip()[:limit]


def verify_identity_token(site: ChatSite, token: str) -> Identity:
    """Check the signature, expiry and claims of ``token`` for ``site``."""
    if not token or len(token) > 4096:
        raise IdentityError("empty or oversized token")
    try:
        claims = jwt.decode(
            token,
            site.identity_secret,
            algorithms=["HS256"],
            options={"require": ["sub", "exp"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as exc:
        raise IdentityError(str(exc)) from exc
    issued = claims.get("iat")
    exp = claims["exp"]
    start = issued if isinstance(issued, int | float) else time.time()
    if not isinstance(exp, int | float) or exp - start > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise IdentityError("token lifetime too long")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.strip() or len(sub) > 64:
        raise IdentityError("sub must be a non-empty string of at most 64 characters")
    return Identity(
        external_id=sub.strip(),
        email=_text(claims, "email", 254),
        name=_text(claims, "name", 120),
        language=_text(claims, "language", 8),
    )


def sign_identity_token(
    site: ChatSite, *, external_id: str, email: str = "", name: str = "", lifetime: int = 3600
) -> str:
    """What the exchange's backend does; used by the demo host page and the tests."""
    now = int(time.time())
    claims: dict[str, object] = {"sub": external_id, "iat": now, "exp": now + lifetime}
    if email:
        claims["email"] = email
    if name:
        claims["name"] = name
    return jwt.encode(claims, site.identity_secret, algorithm="HS256")
