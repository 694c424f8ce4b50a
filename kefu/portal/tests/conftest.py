from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the (process-wide) cache: start every test from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_1(customer_1) -> Client:
    client = Client()
    client.force_login(customer_1, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def client_2(customer_2) -> Client:
    client = Client()
    client.force_login(customer_2, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def agent_client(agent_a) -> Client:
    client = Client()
    client.force_login(agent_a, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def counts():
    """counts() -> a snapshot of the rows a write would add, to assert nothing happened."""
    from kefu.audit.models import AuditEntry
    from kefu.conversations.models import Attachment, Conversation, Message, TimelineEntry

    def snapshot() -> dict[str, int]:
        return {
            "conversations": Conversation.objects.count(),
            "messages": Message.objects.count(),
            "attachments": Attachment.objects.count(),
            "timeline": TimelineEntry.objects.count(),
            "audit": AuditEntry.objects.count(),
        }

    return snapshot
