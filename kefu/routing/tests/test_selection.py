"""The pure selection rules: never offline, never over capacity, never a wrong language or a
tier too high, least loaded first and a fair round-robin among equals; the queue order."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.routing.selection import (
    Candidate,
    Need,
    Waiting,
    eligible,
    queue_order,
    select_agent,
    speaks,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LANGS = ["en", "zh-hans", "ja"]

candidates = st.lists(
    st.builds(
        Candidate,
        agent_id=st.integers(1, 10_000),
        online=st.booleans(),
        languages=st.frozensets(st.sampled_from([*LANGS, "zh"]), max_size=3),
        capacity=st.integers(0, 5),
        load=st.integers(0, 6),
        max_tier=st.integers(0, 3),
        last_assigned_at=st.none() | st.integers(0, 10_000).map(lambda s: T0 + timedelta(s)),
    ),
    max_size=12,
    unique_by=lambda c: c.agent_id,
)
needs = st.builds(
    Need,
    language=st.sampled_from(LANGS),
    tier=st.integers(1, 3),
    exclude=st.frozensets(st.integers(1, 10_000), max_size=3),
)


@settings(max_examples=400)
@given(need=needs, pool=candidates)
def test_the_chosen_agent_is_always_eligible_and_the_least_loaded(need, pool):
    chosen = select_agent(need, pool)
    fit = [c for c in pool if eligible(c, need)]
    if chosen is None:
        assert fit == []
        return
    agent = next(c for c in pool if c.agent_id == chosen)
    assert agent.online
    assert agent.load < agent.capacity
    assert agent.max_tier >= need.tier
    assert agent.agent_id not in need.exclude
    assert not agent.languages or speaks(agent.languages, need.language)
    assert agent.load == min(c.load for c in fit)


@settings(max_examples=200)
@given(need=needs, pool=candidates)
def test_among_equally_loaded_agents_the_longest_unassigned_goes_first(need, pool):
    chosen = select_agent(need, pool)
    if chosen is None:
        return
    agent = next(c for c in pool if c.agent_id == chosen)
    rivals = [c for c in pool if eligible(c, need) and c.load == agent.load]
    for rival in rivals:
        if agent.last_assigned_at is not None:
            assert rival.last_assigned_at is not None
            assert rival.last_assigned_at >= agent.last_assigned_at


@settings(max_examples=100)
@given(n_agents=st.integers(1, 6), rounds=st.integers(1, 4))
def test_repeated_assignment_is_fair_and_never_exceeds_capacity(n_agents, rounds):
    """Simulate the service: each pick raises the agent's load and moves their cursor."""
    capacity = rounds
    pool = {
        i: Candidate(
            agent_id=i, online=True, languages=frozenset(), capacity=capacity, load=0, max_tier=1
        )
        for i in range(1, n_agents + 1)
    }
    counts: Counter[int] = Counter()
    now = T0
    for _ in range(n_agents * rounds + 3):  # three more than there is room for
        chosen = select_agent(Need(language="en"), pool.values())
        if chosen is None:
            break
        now += timedelta(seconds=1)
        c = pool[chosen]
        pool[chosen] = Candidate(
            agent_id=c.agent_id,
            online=True,
            languages=c.languages,
            capacity=c.capacity,
            load=c.load + 1,
            max_tier=1,
            last_assigned_at=now,
        )
        counts[chosen] += 1
    assert sum(counts.values()) == n_agents * rounds  # everyone full, then nothing
    assert set(counts.values()) == {rounds}
    assert all(c.load <= c.capacity for c in pool.values())


def test_round_robin_among_equals_even_when_load_is_unchanged():
    """Email-style: a conversation solved at once keeps load equal; the cursor still rotates."""
    a = Candidate(1, True, frozenset(), 3, 0, 1, last_assigned_at=T0 + timedelta(seconds=5))
    b = Candidate(2, True, frozenset(), 3, 0, 1, last_assigned_at=T0 + timedelta(seconds=1))
    c = Candidate(3, True, frozenset(), 3, 0, 1, last_assigned_at=None)
    assert select_agent(Need("en"), [a, b, c]) == 3
    assert select_agent(Need("en"), [a, b]) == 2


def test_language_skills():
    assert speaks(frozenset({"zh"}), "zh-hans")
    assert speaks(frozenset({"zh-hans"}), "ZH-HANS")
    assert not speaks(frozenset({"zh-hant"}), "zh-hans")
    assert not speaks(frozenset({"en"}), "zh-hans")
    assert speaks(frozenset(), "ja")  # no listed skills: any language
    english = Candidate(1, True, frozenset({"en"}), 3, 0, 1)
    chinese = Candidate(2, True, frozenset({"zh-hans"}), 3, 2, 1)
    assert select_agent(Need("zh-hans"), [english, chinese]) == 2
    assert select_agent(Need("ja"), [english, chinese]) is None


def test_offline_full_excluded_and_low_tier_agents_are_never_chosen():
    offline = Candidate(1, False, frozenset(), 3, 0, 3)
    full = Candidate(2, True, frozenset(), 2, 2, 3)
    declined = Candidate(3, True, frozenset(), 3, 0, 3)
    l1 = Candidate(4, True, frozenset(), 3, 0, 1)
    pool = [offline, full, declined, l1]
    assert select_agent(Need("en", tier=2, exclude=frozenset({3})), pool) is None
    assert select_agent(Need("en", tier=1, exclude=frozenset({3})), pool) == 4


def test_queue_serves_vip_then_priority_then_longest_wait():
    w = [
        Waiting(1, vip_tier=0, priority=1, waiting_since=T0),
        Waiting(2, vip_tier=0, priority=3, waiting_since=T0 + timedelta(minutes=5)),
        Waiting(3, vip_tier=2, priority=0, waiting_since=T0 + timedelta(minutes=9)),
        Waiting(4, vip_tier=0, priority=1, waiting_since=T0 - timedelta(minutes=1)),
    ]
    assert [x.conversation_id for x in queue_order(w)] == [3, 2, 4, 1]
