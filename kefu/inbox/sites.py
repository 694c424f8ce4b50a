"""Writes for chat sites (the websites and apps that embed the chat widget). Admins only.

The identity secret signs the exchange's identity tokens. It is never written to the audit log:
rotating it and showing it are audited as actions, without the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Team, User
from kefu.audit.services import audit_record
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied
from kefu.core.validation import field_error as _field_error
from kefu.inbox.models import ChatSite, new_identity_secret

MAX_ORIGINS = 20
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"^[a-z0-9]([a-z0-9\-.]*[a-z0-9])?$")


def _require_admin(actor: Actor) -> None:
    # Chat sites hold a signing secret and decide who may embed the widget: the same trust as
    # API keys, so the same capability (admins).
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_api_keys(user):
        raise PermissionDenied(_("You do not have permission to do that."))


def clean_origin(origin: str) -> str:
    """``origin`` as the browser sends it in the Origin header: ``scheme://host[:port]``,
    lower-case, without a default port. Raises ValidationFailed for anything else."""
    text = (origin or "").strip().rstrip("/")
    bad = _field_error(
        "allowed_origins",
        _(
            "“%(origin)s” is not an origin. Write the scheme and host only, "
            "e.g. https://www.example.com or http://localhost:8000."
        )
        % {"origin": text[:100]},
    )
    if not text or any(ord(ch) <= 32 or ch in "\\@?#" for ch in text):
        raise bad
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or parts.path or not parts.hostname:
        raise bad
    try:
        port = parts.port
    except ValueError as exc:
        raise bad from exc
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    elif not _HOST.match(host):  # no wildcards: the Origin header is matched exactly
        raise bad
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _clean_origins(origins: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for origin in origins:
        if not (origin or "").strip():
            continue
        value = clean_origin(origin)
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_ORIGINS:
        raise _field_error(
            "allowed_origins",
            _("List at most %(count)d origins.") % {"count": MAX_ORIGINS},
        )
    return cleaned


def _greeting(field: str, text: str) -> str:
    text = (text or "").strip()
    if len(text) > 300:
        raise _field_error(field, _("Use at most %(limit)d characters.") % {"limit": 300})
    return text


def chat_site_save(
    *,
    site: ChatSite | None = None,
    name: str,
    allowed_origins: list[str],
    identity_required: bool,
    team: Team | None,
    greeting_en: str,
    greeting_zh: str,
    is_active: bool,
    assistant_first: bool | None = None,
    actor: Actor,
) -> ChatSite:
    """Create a chat site (site=None; it gets a new key and identity secret) or update one.

    Origins are normalised to ``scheme://host[:port]`` and deduplicated; an empty list lets any
    site embed the widget. The audit row never contains the identity secret.
    """
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise _field_error("name", _("Use a name of 1 to 120 characters."))
    origins = _clean_origins(allowed_origins)
    greeting_en = _greeting("greeting_en", greeting_en)
    greeting_zh = _greeting("greeting_zh", greeting_zh)
    if team is not None and not Team.objects.filter(pk=team.pk).exists():
        raise _field_error("team", _("Choose a team from the list."))
    with transaction.atomic():
        created = site is None
        site = ChatSite() if site is None else ChatSite.objects.select_for_update().get(pk=site.pk)
        site.name = name
        site.allowed_origins = origins
        site.identity_required = bool(identity_required)
        site.team = team
        site.greeting_en, site.greeting_zh = greeting_en, greeting_zh
        site.is_active = bool(is_active)
        if assistant_first is not None:  # None keeps the current setting
            site.assistant_first = bool(assistant_first)
        site.save()
        audit_record(
            actor=actor,
            action="chat_site.created" if created else "chat_site.updated",
            object_type="chat_site",
            object_id=site.pk,
            data={
                "name": name,
                "site_key": site.key,
                "allowed_origins": origins,
                "identity_required": site.identity_required,
                "team_id": team.pk if team is not None else None,
                "is_active": site.is_active,
                **({} if assistant_first is None else {"assistant_first": site.assistant_first}),
            },
        )
    return site


def chat_site_rotate_secret(*, site: ChatSite, actor: Actor) -> str:
    """Give the site a new identity secret and return it. Tokens signed with the old one stop
    verifying at once. Audited without the value."""
    _require_admin(actor)
    with transaction.atomic():
        locked = ChatSite.objects.select_for_update().get(pk=site.pk)
        locked.identity_secret = new_identity_secret()
        locked.save(update_fields=["identity_secret_sealed"])
        audit_record(
            actor=actor,
            action="chat_site.secret_rotated",
            object_type="chat_site",
            object_id=locked.pk,
            data={"name": locked.name},
        )
    site.identity_secret = locked.identity_secret
    return locked.identity_secret


def chat_site_reveal_secret(*, site: ChatSite, actor: Actor) -> str:
    """Return the site's identity secret for an admin to copy, recording that it was shown."""
    _require_admin(actor)
    with transaction.atomic():
        current = ChatSite.objects.get(pk=site.pk)
        audit_record(
            actor=actor,
            action="chat_site.secret_viewed",
            object_type="chat_site",
            object_id=current.pk,
            data={"name": current.name},
        )
    return current.identity_secret
