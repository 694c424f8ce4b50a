from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.accounts.services import actor_for_user
from kefu.analytics import services
from kefu.conversations import services as conv
from kefu.core import clock

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def data(monkeypatch, team_a, team_b, agent_a, customer_1):
    """Two conversations on 2026-11-02: one answered after 10 min and solved after 1 h (team A,
    email), one unanswered and open (team B, chat)."""
    now = {"at": START}
    monkeypatch.setattr(clock, "now", lambda: now["at"])
    customer = actor_for_user(customer_1)
    first = conv.conversation_create(
        contact=customer_1.contact,
        subject="Late withdrawal",
        body="Where is it?",
        channel="email",
        team=team_a,
        author="customer",
        actor=customer,
    )
    conv.conversation_create(
        contact=customer_1.contact,
        subject="Login",
        body="Cannot log in",
        channel="chat",
        team=team_b,
        author="customer",
        actor=customer,
    )
    conv.conversation_assign(conversation=first, assignee=agent_a, actor=actor_for_user(agent_a))
    now["at"] = START + timedelta(minutes=10)
    conv.message_reply(conversation=first, body="Sent now.", actor=actor_for_user(agent_a))
    now["at"] = START + timedelta(hours=1)
    conv.conversation_set_status(conversation=first, status="solved", actor=actor_for_user(agent_a))
    services.analytics_refresh()
    now["at"] = START + timedelta(days=3)
    return first
