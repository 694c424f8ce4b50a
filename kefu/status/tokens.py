"""The tokens in a subscriber's confirm and unsubscribe links.

A token is the row id and an HMAC (keyed with SECRET_KEY) of the row's random nonce and the
link's purpose. It is unguessable, never stored, and the database alone cannot forge one.
Rotating SECRET_KEY keeps old links working while the old key is in SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from kefu.core.errors import NotFound
from kefu.status.models import StatusSubscriber

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
_MAC_LENGTH = 64  # hex SHA-256


def _mac(subscriber: StatusSubscriber, purpose: str, secret: str | None = None) -> str:
    return salted_hmac(
        f"kefu.status.subscriber.{purpose}",
        f"{subscriber.pk}:{subscriber.nonce}",
        secret=secret,
        algorithm="sha256",
    ).hexdigest()


def subscriber_token(subscriber: StatusSubscriber, purpose: str) -> str:
    """The token for ``subscriber``'s ``confirm`` or ``unsubscribe`` link."""
    return f"{subscriber.pk}.{_mac(subscriber, purpose)}"


def subscriber_by_token(token: str, purpose: str) -> StatusSubscriber:
    """The subscriber a link's token belongs to; NotFound for anything else (a malformed,
    forged or outdated token, or an address that has unsubscribed since)."""
    invalid = NotFound(_("This link is not valid any more."))
    pk, _sep, mac = (token or "").partition(".")
    if not pk.isdigit() or len(pk) > 18 or len(mac) != _MAC_LENGTH:
        raise invalid
    subscriber = StatusSubscriber.objects.filter(pk=int(pk)).first()
    if subscriber is None:
        raise invalid
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(constant_time_compare(mac, _mac(subscriber, purpose, key)) for key in keys):
        raise invalid
    return subscriber
