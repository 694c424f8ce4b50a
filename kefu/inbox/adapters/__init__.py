"""Channel adapters and their registry.

Adding a channel = one folder here, one line in ``ADAPTERS`` (docs/tutorials/new-channel.md).
Live chat (``webchat``) is a real-time protocol of its own and is not in the registry: its
messages already go through the conversations services directly.
"""

from __future__ import annotations

from collections.abc import Callable

from kefu.inbox.adapters.base import ChannelAdapter


def _telegram() -> ChannelAdapter:
    from kefu.inbox.adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter()


def _phone() -> ChannelAdapter:
    from kefu.inbox.adapters.phone.adapter import PhoneAdapter

    return PhoneAdapter()


def _email() -> ChannelAdapter:
    from kefu.inbox.adapters.email.adapter import EmailAdapter

    return EmailAdapter()


def _messenger() -> ChannelAdapter:
    from kefu.inbox.adapters.messenger.adapter import MessengerAdapter

    return MessengerAdapter()


def _whatsapp() -> ChannelAdapter:
    from kefu.inbox.adapters.whatsapp.adapter import WhatsAppAdapter

    return WhatsAppAdapter()


ADAPTERS: dict[str, Callable[[], ChannelAdapter]] = {
    "telegram": _telegram,
    "phone": _phone,
    "email": _email,
    "messenger": _messenger,
    "whatsapp": _whatsapp,
}


def get_adapter(kind: str) -> ChannelAdapter | None:
    """The adapter for channel ``kind``, or None if no adapter handles that channel."""
    factory = ADAPTERS.get(kind)
    return factory() if factory is not None else None
