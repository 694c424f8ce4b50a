"""Sort on-commit callbacks captured in tests into real-time publishes and everything else."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from kefu.realtime import publish


def published(callbacks: Iterable[Callable[[], Any]]) -> list[Any]:
    """The events published (in order) among the captured callbacks."""
    return [
        cb.args[0]
        for cb in callbacks
        if isinstance(cb, functools.partial) and cb.func is publish._deliver
    ]


def jobs(callbacks: Iterable[Callable[[], Any]]) -> list[Callable[[], Any]]:
    """The captured callbacks that are not real-time publishes (jobs, deliveries)."""
    return [
        cb
        for cb in callbacks
        if not (isinstance(cb, functools.partial) and cb.func is publish._deliver)
    ]
