"""The single-process channel layer: Channels' in-memory layer with a bounded sweep.

The stock ``InMemoryChannelLayer`` sweeps every channel's queue and every group's members for
expired entries on *each* ``receive`` and ``group_send``: O(connected sockets) of work per frame,
so a process holding 2,000 chat sockets spent more time sweeping than delivering. Expiry is
measured in tens of seconds (``expiry``, ``group_expiry``), so sweeping at most once per
``sweep_interval`` seconds changes nothing a client can observe; messages and memberships still
expire, at most ``sweep_interval`` later. Multi-process deployments use the Redis layer.
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer


class SweptInMemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    def __init__(self, *args: Any, sweep_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sweep_interval = sweep_interval
        self._next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_interval
        super()._clean_expired()
