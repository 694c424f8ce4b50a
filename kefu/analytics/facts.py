"""One conversation's analytics fact, and its contribution to the daily rollups.

``compute`` is pure: it turns a ``FactInput`` (the conversation's raw rows, loaded by
``load_inputs`` in a fixed number of queries per batch) into the fact's field values.
``contribution`` turns a fact into the counters it adds to each rollup row it belongs to. The
incremental refresh subtracts a fact's old contribution and adds the new one; the from-scratch
check sums the contributions of freshly computed facts; the tests prove both agree.

Definitions (docs/subsystems/analytics.md):
- first response: creation -> the first public reply by a person (author ``agent``);
- next response: each time the customer writes after an agent's reply, the wait from that first
  customer message to the next agent reply;
- resolution: creation -> the last time the conversation entered solved/closed, when it is
  solved or closed now;
- reopen: a status change from solved/closed to another status;
- first-contact resolution: resolved, never reopened, at most one agent reply;
- CSAT: the newest answered survey; SLA: timers met vs breached; assistant: the session's
  outcome (contained = resolved by the assistant).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kefu.analytics.histogram import bin_of
from kefu.sla.hours import CalendarSpec, business_time_between

RESOLVED_STATUSES = frozenset({"solved", "closed"})
# Histogram names: first response, next response, resolution; ``b`` = business time.
DURATIONS = ("frt", "frtb", "nrt", "nrtb", "res", "resb")
FACT_FIELDS = (
    "created_at",
    "day",
    "hour",
    "channel",
    "intent",
    "language",
    "team_id",
    "agent_id",
    "is_open",
    "resolved",
    "first_response_s",
    "first_response_bs",
    "resolution_s",
    "resolution_bs",
    "next_responses",
    "agent_replies",
    "reopens",
    "first_contact_resolution",
    "csat_rating",
    "csat_resolved",
    "sla_met",
    "sla_breached",
    "assisted",
    "contained",
    "handed_off",
)


@dataclass(frozen=True, slots=True)
class FactInput:
    conversation_id: int
    created_at: datetime
    status: str
    channel: str
    category: str
    language: str
    team_id: int | None
    agent_id: int | None
    closed_at: datetime | None
    last_activity_at: datetime
    messages: tuple[tuple[datetime, str], ...]  # public replies: (created_at, author_kind)
    status_changes: tuple[tuple[datetime, str, str], ...]  # (at, from, to)
    surveys: tuple[tuple[datetime, int, bool | None], ...]  # answered: (created_at, rating, yes)
    timer_states: tuple[str, ...]
    session: tuple[str, str] | None  # (last_intent, outcome)
    spec: CalendarSpec


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def _business(spec: CalendarSpec, start: datetime, end: datetime) -> int:
    return max(0, int(business_time_between(spec, start, end).total_seconds()))


def compute(inp: FactInput) -> dict[str, Any]:
    """The fact's field values (``FACT_FIELDS``) for one conversation."""
    created = inp.created_at.astimezone(UTC)
    first: datetime | None = None
    waiting_since: datetime | None = None
    waits: list[list[int]] = []
    agent_replies = 0
    for at, author in inp.messages:
        if author == "agent":
            agent_replies += 1
            if first is None:
                first = at
            elif waiting_since is not None:
                waits.append([_seconds(waiting_since, at), _business(inp.spec, waiting_since, at)])
            waiting_since = None
        elif author == "customer" and first is not None and waiting_since is None:
            waiting_since = at
    reopens = sum(
        1
        for _at, old, new in inp.status_changes
        if old in RESOLVED_STATUSES and new not in RESOLVED_STATUSES
    )
    resolved = inp.status in RESOLVED_STATUSES
    resolved_at: datetime | None = None
    if resolved:
        entered = [
            at
            for at, old, new in inp.status_changes
            if new in RESOLVED_STATUSES and old not in RESOLVED_STATUSES
        ]
        resolved_at = entered[-1] if entered else (inp.closed_at or inp.last_activity_at)
    rating: int | None = None
    said_resolved: bool | None = None
    if inp.surveys:
        _at, rating, said_resolved = max(inp.surveys, key=lambda s: s[0])
    intent = inp.category
    assisted = contained = handed_off = False
    if inp.session is not None:
        last_intent, outcome = inp.session
        assisted = True
        contained = outcome == "resolved"
        handed_off = outcome == "handed_off"
        intent = last_intent or intent
    return {
        "created_at": inp.created_at,
        "day": created.date(),
        "hour": created.hour,
        "channel": inp.channel,
        "intent": intent[:64],
        "language": inp.language,
        "team_id": inp.team_id,
        "agent_id": inp.agent_id,
        "is_open": not resolved,
        "resolved": resolved,
        "first_response_s": None if first is None else _seconds(inp.created_at, first),
        "first_response_bs": None if first is None else _business(inp.spec, inp.created_at, first),
        "resolution_s": None if resolved_at is None else _seconds(inp.created_at, resolved_at),
        "resolution_bs": (
            None if resolved_at is None else _business(inp.spec, inp.created_at, resolved_at)
        ),
        "next_responses": waits,
        "agent_replies": agent_replies,
        "reopens": reopens,
        "first_contact_resolution": resolved and reopens == 0 and agent_replies <= 1,
        "csat_rating": rating,
        "csat_resolved": said_resolved,
        "sla_met": sum(1 for s in inp.timer_states if s == "met"),
        "sla_breached": sum(1 for s in inp.timer_states if s == "breached"),
        "assisted": assisted,
        "contained": contained,
        "handed_off": handed_off,
    }


def keys(fact: dict[str, Any]) -> list[tuple[str, str]]:
    """The (dimension, value) rollup rows a fact belongs to (on its ``day``)."""
    return [
        ("all", ""),
        ("channel", fact["channel"]),
        ("intent", fact["intent"]),
        ("language", fact["language"]),
        ("team", str(fact["team_id"] or "")),
        ("agent", str(fact["agent_id"] or "")),
    ]


def _duration(counts: Counter[str], name: str, seconds: int | None) -> None:
    if seconds is None:
        return
    counts[f"{name}:{bin_of(seconds)}"] += 1
    counts[f"{name}_n"] += 1
    counts[f"{name}_sum"] += seconds


def contribution(fact: dict[str, Any]) -> Counter[str]:
    """The counters one fact adds to each of its rollup rows (integers only: exact sums)."""
    c: Counter[str] = Counter()
    c["n"] += 1
    c[f"hour:{fact['hour']}"] += 1
    c["open"] += int(fact["is_open"])
    c["resolved"] += int(fact["resolved"])
    c["fcr"] += int(fact["first_contact_resolution"])
    c["reopened"] += int(fact["reopens"] > 0)
    c["replied"] += int(fact["first_response_s"] is not None)
    _duration(c, "frt", fact["first_response_s"])
    _duration(c, "frtb", fact["first_response_bs"])
    _duration(c, "res", fact["resolution_s"])
    _duration(c, "resb", fact["resolution_bs"])
    for calendar_s, business_s in fact["next_responses"]:
        _duration(c, "nrt", calendar_s)
        _duration(c, "nrtb", business_s)
    if fact["csat_rating"] is not None:
        c["csat_n"] += 1
        c["csat_sum"] += fact["csat_rating"]
        c["csat_good"] += int(fact["csat_rating"] >= 4)
        if fact["handed_off"]:
            c["ho_csat_n"] += 1
            c["ho_csat_sum"] += fact["csat_rating"]
    if fact["csat_resolved"] is not None:
        c["said_n"] += 1
        c["said_yes"] += int(fact["csat_resolved"])
    c["sla_met"] += fact["sla_met"]
    c["sla_breached"] += fact["sla_breached"]
    c["assisted"] += int(fact["assisted"])
    c["contained"] += int(fact["contained"])
    c["handed_off"] += int(fact["handed_off"])
    return +c  # drop zero counters


RollupKey = tuple[str, Any, str, str]  # (span, day or month start, dimension, value)


def rollup_keys(fact: dict[str, Any]) -> list[RollupKey]:
    """Every rollup row a fact adds to: its day's and its month's, for each of its keys."""
    day = fact["day"]
    month = day.replace(day=1)
    return [
        key
        for dimension, value in keys(fact)
        for key in (("day", day, dimension, value), ("month", month, dimension, value))
    ]


def aggregate(facts: Iterable[dict[str, Any]]) -> dict[RollupKey, Counter[str]]:
    """Every rollup row, computed from scratch from ``facts``."""
    rows: dict[RollupKey, Counter[str]] = {}
    for fact in facts:
        add = contribution(fact)
        for key in rollup_keys(fact):
            bucket = rows.get(key)
            if bucket is None:
                rows[key] = Counter(add)
            else:
                bucket.update(add)
    return rows
