"""The set-based PostgreSQL paths give exactly what the portable Python paths give, and combined
filters give what a from-scratch sum over the matching facts gives.

Random facts (not through the services: every field combination, durations across the whole
histogram, several months) are stored, then:
- the SQL rollup rebuild == the Python rebuild == ``facts.aggregate`` (PostgreSQL only);
- merging rollup rows in SQL == merging them in Python, for totals, per value and per day with
  a counter subset (PostgreSQL only);
- combined filters (overview and breakdowns) == the sum of ``facts.contribution`` over the facts
  matching every filter (both databases; on PostgreSQL also SQL == Python).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.analytics import selectors, services, sql
from kefu.analytics.facts import aggregate, contribution, keys
from kefu.analytics.histogram import RATIO, bin_of
from kefu.analytics.models import ConversationFact, DailyRollup

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL merge runs on PostgreSQL only"
)

FIRST = date(2026, 9, 20)
DAYS = 75  # crosses three month boundaries: month rows and edge days both used
CHANNELS = ["web", "email", "chat"]
INTENTS = ["withdrawal", "deposit", "kyc"]
LANGUAGES = ["en", "zh-hans"]
TEAMS = [None, 1, 2]
AGENTS = [None, 5, 6]

seconds = st.one_of(
    st.none(),
    st.integers(0, 5),
    st.integers(0, 10**9),
    # Around the bin edges, where a float formula would slip.
    st.integers(1, 200).map(lambda k: int(RATIO**k)),
    st.integers(1, 200).map(lambda k: int(RATIO**k) + 1),
)
wait = st.tuples(st.integers(0, 10**8), st.integers(0, 10**8)).map(list)

fact = st.fixed_dictionaries(
    {
        "offset": st.integers(0, DAYS - 1),
        "hour": st.integers(0, 23),
        "channel": st.sampled_from(CHANNELS),
        "intent": st.sampled_from(INTENTS),
        "language": st.sampled_from(LANGUAGES),
        "team_id": st.sampled_from(TEAMS),
        "agent_id": st.sampled_from(AGENTS),
        "is_open": st.booleans(),
        "first_response_s": seconds,
        "first_response_bs": seconds,
        "resolution_s": seconds,
        "resolution_bs": seconds,
        "next_responses": st.lists(wait, max_size=3),
        "agent_replies": st.integers(0, 4),
        "reopens": st.integers(0, 2),
        "first_contact_resolution": st.booleans(),
        "csat_rating": st.one_of(st.none(), st.integers(1, 5)),
        "csat_resolved": st.one_of(st.none(), st.booleans()),
        "sla_met": st.integers(0, 3),
        "sla_breached": st.integers(0, 2),
        "assisted": st.booleans(),
        "contained": st.booleans(),
        "handed_off": st.booleans(),
    }
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def store(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace the stored facts by ``raw``; returns them as fact dicts (``FACT_FIELDS``)."""
    ConversationFact.objects.all().delete()
    DailyRollup.objects.all().delete()
    facts = []
    now = datetime(2026, 12, 6, tzinfo=UTC)
    for i, r in enumerate(raw, start=1):
        values = dict(r)
        day = FIRST + timedelta(days=values.pop("offset"))
        values["day"] = day
        values["created_at"] = datetime(day.year, day.month, day.day, values["hour"], tzinfo=UTC)
        values["resolved"] = not values["is_open"]
        facts.append(values)
        ConversationFact.objects.create(conversation_id=i, computed_at=now, **values)
    return facts


def stored_rollups() -> dict[tuple[str, Any, str, str], Counter[str]]:
    return {
        (r.span, r.day, r.dimension, r.value): Counter(r.counts) for r in DailyRollup.objects.all()
    }


def from_scratch(facts: list[dict[str, Any]], filters: selectors.Filters, group: str) -> dict:
    """The sum of the contributions of the facts matching every filter, per ``group``."""
    out: dict[Any, Counter[str]] = {}
    for f in facts:
        if not filters.start <= f["day"] <= filters.end:
            continue
        values = dict(keys(f))
        if any(values[d] != v for d, v in filters.selected):
            continue
        key = f["day"] if group == "day" else values[group]
        out.setdefault(key, Counter()).update(contribution(f))
    return out


ranges = st.tuples(st.integers(0, DAYS - 1), st.integers(0, DAYS - 1)).map(
    lambda p: (FIRST + timedelta(days=min(p)), FIRST + timedelta(days=max(p)))
)
filter_sets = st.lists(
    st.sampled_from(
        [
            ("channel", "web"),
            ("channel", "chat"),
            ("intent", "kyc"),
            ("language", "en"),
            ("team", "1"),
            ("team", "2"),
            ("agent", "5"),
            ("agent", "6"),
        ]
    ),
    min_size=2,
    max_size=4,
    unique_by=lambda p: p[0],
)


@on_postgresql
@pytest.mark.django_db
def test_sql_bins_are_the_python_bins():
    values = [*range(3000), *(int(RATIO**k) + d for k in range(1, 400) for d in (-1, 0, 1))]
    values += [10**9, 10**12, -5]
    array = "'{" + ",".join(str(t) for t in sql.thresholds()) + "}'::bigint[]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT x, width_bucket(x, {array}) FROM unnest(%s::bigint[]) AS x",  # noqa: S608
            [values],
        )
        got = dict(cursor.fetchall())
    assert {x: got[x] for x in values} == {x: bin_of(x) for x in values}


@on_postgresql
@pytest.mark.django_db
@SETTINGS
@given(raw=st.lists(fact, min_size=1, max_size=30))
def test_sql_rebuild_equals_python_rebuild_and_from_scratch(raw):
    facts = store(raw)
    expected = {key: +c for key, c in aggregate(facts).items()}
    written = services.rollups_rebuild_from_facts(in_sql=True)
    in_sql = stored_rollups()
    assert services.rollups_rebuild_from_facts(in_sql=False) == written
    assert stored_rollups() == in_sql
    assert in_sql == expected


@on_postgresql
@pytest.mark.django_db
@SETTINGS
@given(raw=st.lists(fact, min_size=1, max_size=30), span=ranges, data=st.data())
def test_sql_merge_of_rollup_rows_equals_the_python_merge(raw, span, data, monkeypatch):
    store(raw)
    services.rollups_rebuild_from_facts()
    filters = selectors.Filters(start=span[0], end=span[1])
    dimension = data.draw(st.sampled_from(["all", "channel", "team", "agent"]))
    cases = [
        (selectors._covering_rows(filters, dimension), "value", None),
        (selectors._covering_rows(filters, dimension), "", None),
        (selectors._day_rows(filters, dimension), "day", selectors.DAILY_COUNTERS),
    ]
    for qs, group, prefixes in cases:
        in_sql = selectors.merge_rollups(qs, group, prefixes)
        with monkeypatch.context() as m:
            m.setattr(sql, "available", lambda: False)
            in_python = selectors.merge_rollups(qs, group, prefixes)
        assert in_sql == in_python
    assert sql.available()


@pytest.mark.django_db
@SETTINGS
@given(raw=st.lists(fact, min_size=1, max_size=30), span=ranges, chosen=filter_sets)
def test_combined_filters_equal_a_from_scratch_sum_over_matching_facts(
    raw, span, chosen, supervisor, monkeypatch
):
    facts = store(raw)
    services.rollups_rebuild_from_facts()
    selected = tuple(sorted(chosen, key=lambda p: selectors.FILTER_DIMENSIONS.index(p[0])))
    filters = selectors.Filters(start=span[0], end=span[1], selected=selected)
    by_day = from_scratch(facts, filters, "day")

    view = selectors.overview(user=supervisor, filters=filters)
    assert dict(view.current.counts) == +sum(by_day.values(), Counter())
    assert {d: dict(s.counts) for d, s in view.daily if s.counts} == {
        d: dict(c) for d, c in by_day.items()
    }
    previous = from_scratch(facts, filters.previous(), "day")
    assert dict(view.previous.counts) == +sum(previous.values(), Counter())
    assert view.backlog.open == sum(
        1 for f in facts if f["is_open"] and all(dict(keys(f))[d] == v for d, v in filters.selected)
    )

    for dimension in ("team", "agent", "channel"):
        rows = selectors.breakdown(user=supervisor, filters=filters, dimension=dimension)
        expected = from_scratch(facts, filters, dimension)
        assert {r.value: dict(r.summary.counts) for r in rows} == {
            v: dict(c) for v, c in expected.items()
        }
        if sql.available():  # the SQL sum over facts == the Python one
            with monkeypatch.context() as m:
                m.setattr(sql, "available", lambda: False)
                python_rows = selectors.breakdown(
                    user=supervisor, filters=filters, dimension=dimension
                )
            assert {r.value: r.summary.counts for r in python_rows} == {
                r.value: r.summary.counts for r in rows
            }


@pytest.mark.django_db
def test_one_filter_from_the_facts_equals_its_rollup(supervisor):
    """The facts path and the rollup path agree where both apply (one filter)."""
    rng_facts = [
        {**example, "offset": i % DAYS, "channel": CHANNELS[i % 3], "team_id": TEAMS[i % 3]}
        for i, example in enumerate([_plain()] * 40)
    ]
    store(rng_facts)
    services.rollups_rebuild_from_facts()
    filters = selectors.Filters(
        start=FIRST, end=FIRST + timedelta(days=DAYS - 1), selected=(("channel", "chat"),)
    )
    from_rollups, _days = selectors.period_counts(filters)
    from_facts = selectors.merge(selectors.merge_facts(filters, "day").values())
    assert from_rollups == from_facts
    assert from_rollups["n"] == 13


def _plain() -> dict[str, Any]:
    return {
        "offset": 0,
        "hour": 9,
        "channel": "web",
        "intent": "kyc",
        "language": "en",
        "team_id": None,
        "agent_id": 5,
        "is_open": False,
        "first_response_s": 600,
        "first_response_bs": 300,
        "resolution_s": 7200,
        "resolution_bs": 3600,
        "next_responses": [[60, 30]],
        "agent_replies": 2,
        "reopens": 0,
        "first_contact_resolution": False,
        "csat_rating": 5,
        "csat_resolved": True,
        "sla_met": 1,
        "sla_breached": 0,
        "assisted": False,
        "contained": False,
        "handed_off": False,
    }
