"""Reads for the official-channel registry."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import get_language

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core.errors import NotFound
from kefu.trust.check import Entry, Registry
from kefu.trust.models import ChannelKind, OfficialChannel


def _label(channel: OfficialChannel, language: str) -> str:
    label = channel.label_for(language)
    if not label and channel.kind == ChannelKind.STAFF and channel.user is not None:
        label = channel.user.display_name or ""
    return label


def registry(*, language: str | None = None) -> Registry:
    """Every registered channel (retired ones too: the checker warns about them), labelled in
    ``language`` (the active language if not given). Public: the registry is what we publish."""
    language = language or get_language() or "en"
    channels = OfficialChannel.objects.select_related("user").order_by("kind", "id")
    return Registry(
        tuple(
            Entry(
                kind=c.kind,
                value=c.value,
                display=c.display,
                platform=c.platform,
                label=_label(c, language),
                active=c.is_active,
            )
            for c in channels
        )
    )


def _require_admin(viewer: User) -> None:
    if not permissions.can_manage_api_keys(viewer):
        raise NotFound()


def official_channel_list(*, viewer: User) -> QuerySet[OfficialChannel]:
    _require_admin(viewer)
    return OfficialChannel.objects.select_related("user").order_by("kind", "platform", "value")


def official_channel_get(*, viewer: User, pk: int) -> OfficialChannel:
    _require_admin(viewer)
    channel = OfficialChannel.objects.filter(pk=pk).first()
    if channel is None:
        raise NotFound()
    return channel


def staff_id_of(user: User) -> str:
    """The public staff id registered for ``user`` (active entries only), or ""."""
    value = (
        OfficialChannel.objects.filter(kind=ChannelKind.STAFF, user=user, is_active=True)
        .order_by("id")
        .values_list("display", flat=True)
        .first()
    )
    return value or ""
