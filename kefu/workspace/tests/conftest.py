"""Workspace test helpers on top of the shared persona fixtures (see the root conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Attachment, Conversation, Message, TimelineEntry
from kefu.testing import factories

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
REF = re.compile(r"KF-\d{6}")

# The smallest valid PNG (a 1x1 transparent pixel).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def client_a(agent_a) -> Client:
    return login(agent_a)


@pytest.fixture
def client_b(agent_b) -> Client:
    return login(agent_b)


@pytest.fixture
def client_senior(senior) -> Client:
    return login(senior)


@pytest.fixture
def client_supervisor(supervisor) -> Client:
    return login(supervisor)


@pytest.fixture
def make_conversation(db) -> Callable[..., Conversation]:
    """make_conversation(tags=[...], last_activity_at=..., **factory_kwargs) -> Conversation."""

    def make(*, tags: list[str] = (), **kwargs: Any) -> Conversation:  # type: ignore[assignment]
        timestamps = {k: kwargs.pop(k) for k in ("last_activity_at", "created_at") if k in kwargs}
        conversation = factories.ConversationFactory(**kwargs)
        if timestamps:
            Conversation.objects.filter(pk=conversation.pk).update(**timestamps)
            conversation.refresh_from_db()
        for name in tags:
            conversation.tags.add(factories.TagFactory(name=name))
        return conversation

    return make


@pytest.fixture
def counts() -> Callable[[], dict[str, int]]:
    """counts() -> the number of rows a write would add, to assert that nothing happened."""

    def snapshot() -> dict[str, int]:
        return {
            "messages": Message.objects.count(),
            "attachments": Attachment.objects.count(),
            "timeline": TimelineEntry.objects.count(),
            "audit": AuditEntry.objects.count(),
        }

    return snapshot


def refs(response: Any) -> list[str]:
    """The conversation references listed on an inbox page, in order."""
    return [c.reference for c in response.context["rows"]]


def flashes(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]
