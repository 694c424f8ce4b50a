"""The in-memory layer sweeps for expired entries at most once per interval, and still expires."""

from __future__ import annotations

import pytest
from channels.layers import InMemoryChannelLayer

from kefu.realtime import layers
from kefu.realtime.layers import SweptInMemoryChannelLayer

pytestmark = pytest.mark.asyncio


class _Clock:
    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.wall = 1_700_000_000.0


@pytest.fixture
def clock(monkeypatch):
    now = _Clock()
    monkeypatch.setattr(layers.time, "monotonic", lambda: now.monotonic)
    return now


async def test_frames_do_not_each_sweep_every_socket(clock, monkeypatch):
    layer = SweptInMemoryChannelLayer(expiry=60, sweep_interval=1.0)
    sweeps = []
    monkeypatch.setattr(InMemoryChannelLayer, "_clean_expired", lambda self: sweeps.append(1))
    for i in range(50):
        await layer.group_add("conversation.1", f"specific.inmemory!{i}")
    for _ in range(100):
        await layer.group_send("conversation.1", {"type": "rt.push"})
    assert len(sweeps) == 1  # the stock layer: 100 sweeps over 50 channels
    clock.monotonic += 1.01
    await layer.group_send("conversation.1", {"type": "rt.push"})
    assert len(sweeps) == 2


async def test_expired_messages_and_their_memberships_still_go(clock, monkeypatch):
    layer = SweptInMemoryChannelLayer(expiry=60, sweep_interval=1.0)
    wall = [1_700_000_000.0]
    monkeypatch.setattr("channels.layers.time.time", lambda: wall[0])
    await layer.group_add("conversation.1", "specific.inmemory!stale")
    await layer.send("specific.inmemory!stale", {"type": "rt.push"})  # never read
    wall[0] += 61
    clock.monotonic += 2
    await layer.group_send("conversation.2", {"type": "rt.push"})  # any frame triggers a sweep
    assert "specific.inmemory!stale" not in layer.channels
    assert "specific.inmemory!stale" not in layer.groups.get("conversation.1", {})
