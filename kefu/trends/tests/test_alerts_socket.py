"""Spike alerts are pushed to supervisors' and admins' own workspace sockets only (issue 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from kefu.testing.realtime import agent_socket
from kefu.trends.worker import trends_run

from .conftest import HOUR, NOW, make_conversation, make_history

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _spike() -> None:
    contact = make_history()
    for _ in range(12):
        make_conversation(HOUR + timedelta(minutes=10), contact=contact)


async def test_a_spike_reaches_supervisors_and_admins_not_agents(agent_a, supervisor, admin_user):
    await sync_to_async(_spike)()
    boss, _ = await agent_socket(supervisor)
    admin, _ = await agent_socket(admin_user)
    agent, _ = await agent_socket(agent_a)
    result = await sync_to_async(trends_run)(now=NOW)
    assert result.new_alerts
    for sock in (boss, admin):
        got = await sock.recv_type("trends.alerts")
        assert got == {"type": "trends.alerts", "open": len(result.new_alerts)}
    assert await agent.none_of("trends.alerts")  # inbox changes from the set-up may arrive
    for sock in (boss, admin, agent):
        await sock.close()
