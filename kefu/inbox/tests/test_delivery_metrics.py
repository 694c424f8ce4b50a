"""Outbound delivery outcomes are counted by channel for /metrics (sent, retry, failed)."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from kefu.conversations import services
from kefu.conversations.models import Conversation
from kefu.inbox.tasks import dispatch_due_channels
from kefu.inbox.tests.telegram_updates import message_update, post

pytestmark = pytest.mark.django_db


def _count(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "kefu_outbound_delivery_attempts_total", {"channel": "telegram", "outcome": outcome}
        )
        or 0.0
    )


def _reply(agent, actor_of, capture) -> None:
    with capture(execute=True):
        post(Client(), message_update(1, text="Help, my deposit is missing"))
    with capture(execute=True):
        services.message_reply(
            conversation=Conversation.objects.get(), body="Checking.", actor=actor_of(agent)
        )


def test_a_sent_delivery_is_counted(bot_api, agent_a, actor_of, django_capture_on_commit_callbacks):
    sent, failed = _count("sent"), _count("failed")
    _reply(agent_a, actor_of, django_capture_on_commit_callbacks)
    assert _count("sent") == sent + 1
    assert _count("failed") == failed


def test_a_permanent_failure_is_counted_by_channel(
    bot_api, agent_a, actor_of, django_capture_on_commit_callbacks
):
    sent, failed = _count("sent"), _count("failed")
    bot_api.fail("sendMessage", 403)
    _reply(agent_a, actor_of, django_capture_on_commit_callbacks)
    dispatch_due_channels.call()
    assert _count("failed") == failed + 1
    assert _count("sent") == sent
