"""Pure assignment decisions: which agent gets a conversation, and in what order a team's
queue is served. No database access here, so the rules are tested exhaustively
(kefu/routing/tests/test_selection.py) and the services only gather facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """An agent as routing sees them at one moment."""

    agent_id: int
    online: bool
    languages: frozenset[str]  # empty: answers in any language
    capacity: int
    load: int  # open conversations assigned now
    max_tier: int
    last_assigned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Need:
    """What a conversation needs from its agent."""

    language: str
    tier: int = 1
    exclude: frozenset[int] = frozenset()  # agents it was already taken from


@dataclass(frozen=True, slots=True)
class Waiting:
    conversation_id: int
    vip_tier: int
    priority: int
    waiting_since: datetime


def speaks(languages: frozenset[str], language: str) -> bool:
    """``zh`` covers ``zh-hans``; an agent with no listed skills answers any language."""
    if not languages:
        return True
    language = language.lower()
    return any(language == code or language.startswith(code + "-") for code in languages)


def eligible(candidate: Candidate, need: Need) -> bool:
    return (
        candidate.online
        and candidate.load < candidate.capacity
        and candidate.max_tier >= need.tier
        and candidate.agent_id not in need.exclude
        and speaks(candidate.languages, need.language)
    )


def _order(candidate: Candidate) -> tuple[int, float, int]:
    # Least loaded first; among equals, the one whose last assignment is oldest (never assigned
    # first): a round-robin whose cursor is each agent's last_assigned_at. Id breaks exact ties.
    at = candidate.last_assigned_at
    return (candidate.load, at.timestamp() if at is not None else float("-inf"), candidate.agent_id)


def select_agent(need: Need, candidates: Iterable[Candidate]) -> int | None:
    """The agent who should get a conversation with ``need``; None when nobody may take it."""
    fit = [c for c in candidates if eligible(c, need)]
    if not fit:
        return None
    return min(fit, key=_order).agent_id


def queue_order(waiting: Sequence[Waiting]) -> list[Waiting]:
    """The order a team's waiting conversations are offered: VIP tier first, then priority,
    then the longest wait."""
    return sorted(waiting, key=lambda w: (-w.vip_tier, -w.priority, w.waiting_since))
