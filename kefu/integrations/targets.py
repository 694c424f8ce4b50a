"""Which URLs an endpoint may have, and which addresses Kefu may connect to.

Webhook URLs are typed by admins, but a URL that reaches the internal network would let anyone
with that role probe it from the server (SSRF). So only http(s) URLs without credentials are
accepted, and unless ``KEFU_WEBHOOKS_ALLOW_PRIVATE`` is on, every address the host resolves
to must be a public one: checked when the URL is saved (for literal addresses and localhost
names) and again at each delivery, on the address actually connected to (``transport``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import idna
from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.validation import field_error

URL_MAX = 500
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def private_allowed() -> bool:
    return bool(getattr(settings, "KEFU_WEBHOOKS_ALLOW_PRIVATE", False))


def address_allowed(address: str, *, allow_private: bool) -> bool:
    """True if Kefu may connect to ``address`` (an IP literal)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return False
    return allow_private or ip.is_global


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def clean_url(value: str, *, allow_private: bool | None = None) -> str:
    """``value`` as a webhook URL, or ValidationFailed on the ``url`` field."""
    allow = private_allowed() if allow_private is None else allow_private
    url = (value or "").strip()
    if not url:
        raise field_error("url", _("Enter the URL that should receive the events."))
    if len(url) > URL_MAX:
        raise field_error("url", _("Use at most %(limit)d characters.") % {"limit": URL_MAX})
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise field_error("url", _("The URL must not contain spaces or control characters."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise field_error("url", _("Enter a valid URL.")) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise field_error("url", _("Only http:// and https:// URLs can receive webhooks."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise field_error("url", _("Enter a valid URL."))
    if parts.username is not None or parts.password is not None:
        raise field_error(
            "url", _("Do not put a user name or password in the URL: requests are signed.")
        )
    if parts.fragment:
        raise field_error("url", _("Remove the #fragment from the URL."))
    if _is_ip(host):
        if not address_allowed(host, allow_private=allow):
            raise field_error(
                "url", _("Private, loopback and link-local addresses cannot receive webhooks.")
            )
    else:
        try:
            idna.encode(host, uts46=True)
        except idna.IDNAError as exc:
            raise field_error("url", _("Enter a valid URL.")) from exc
        lowered = host.lower()
        if not allow and (lowered in _LOCAL_NAMES or lowered.endswith(".localhost")):
            raise field_error(
                "url", _("Private, loopback and link-local addresses cannot receive webhooks.")
            )
    return url
