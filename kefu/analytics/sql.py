"""PostgreSQL set-based versions of the analytics merges: the same numbers as the portable
Python paths (``facts.contribution`` / ``facts.aggregate`` and ``selectors.merge``), computed in
the database so only merged counters cross the wire.

- the scalar counters of ``facts.contribution`` as aggregates over a group of facts
  (``SCALARS``), and its histogram bins and hours as one ``(key)`` row each (``_bins``; bins
  by ``width_bucket`` over the integer thresholds of ``histogram.bin_of``, so the bins are the
  same integers, not a float formula), counted per group and joined to the scalars;
- ``merge_rollups``: sum the counters of a set of rollup rows per group (``jsonb_each_text`` +
  ``SUM ... GROUP BY``);
- ``merge_facts``: sum the contributions of the facts matching a filter per group (combined
  filters, which the single-dimension rollups cannot answer);
- ``rebuild_rollups``: every day row from one ``GROUPING SETS`` pass for the scalars and one
  for the bins, then the month rows from the day rows.

The tests prove each equals its Python twin on PostgreSQL (``tests/test_sql_merge.py``).
Only for ``connection.vendor == "postgresql"``; callers keep the Python path for SQLite.
"""

# S608: the SQL here is built only from constants of this module (table names, key names, the
# bin thresholds) and placeholders; every value from a request goes in as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, transaction

from kefu.analytics.histogram import bin_of

FACTS = "analytics_conversationfact"
ROLLUPS = "analytics_dailyrollup"
# Bins beyond this hold durations over 1.1**400 s (~10**16 s): none in practice; ``bin_of``
# would go on, width_bucket stops here (documented in docs/subsystems/analytics.md).
MAX_BIN = 400


def available() -> bool:
    return connection.vendor == "postgresql"


@cache
def thresholds() -> tuple[int, ...]:
    """``t[k-1]`` = the smallest whole number of seconds in bin ``k`` or above (k = 1..MAX_BIN):
    ``width_bucket(x, t)`` (the number of thresholds <= x) is then ``bin_of(x)`` for whole x."""
    out: list[int] = []
    x = 1
    for k in range(1, MAX_BIN + 1):
        x = max(x, int(1.1 ** (k - 1)) - 1, 1)
        while bin_of(x) < k:
            x += 1
        out.append(x)
    return tuple(out)


def _array() -> str:
    # Integers only, generated here: safe to inline (and a constant the planner sees).
    return "'{" + ",".join(str(t) for t in thresholds()) + "}'::bigint[]"


# Grouping expressions over the fact alias ``f`` (the rollup value of each dimension).
DIMENSION_SQL = {
    "all": "''",
    "channel": "f.channel",
    "intent": "f.intent",
    "language": "f.language",
    "team": "COALESCE(f.team_id::text, '')",
    "agent": "COALESCE(f.agent_id::text, '')",
    "day": "f.day",
}


def _counts(raw: Any) -> Counter[str]:
    data = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return Counter({str(k): int(v) for k, v in data.items()})


def _grouped(sql: str, params: Sequence[Any]) -> dict[Any, Counter[str]]:
    """Run ``sql`` selecting ``(g, key, amount)`` and sum it per group into one JSON object
    each (one row per group crosses the wire)."""
    query = (
        "SELECT g, jsonb_object_agg(key, total) FROM ("
        f"SELECT g, key, SUM(amount) AS total FROM ({sql}) AS c GROUP BY g, key"
        ") AS s WHERE total <> 0 GROUP BY g"
    )
    return _fetch(query, params)


def _fetch(query: str, params: Sequence[Any]) -> dict[Any, Counter[str]]:
    """Run a dashboard query returning ``(group, counts)`` rows. JIT off: the planner cannot
    estimate ``jsonb_each_text`` / ``jsonb_array_elements`` rows, so it expects millions and
    compiles (measured ~0.9 s of a 1.5 s query at 1,000,000 facts) for what is a short read."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(query, list(params))
        return {g: _counts(counts) for g, counts in cursor.fetchall()}


def merge_rollups(
    rows_sql: str, params: Sequence[Any], group: str, prefixes: Sequence[str] | None = None
) -> dict[Any, Counter[str]]:
    """Sum the counters of the rollup rows ``r`` selected by ``rows_sql`` (a query of rollup
    ids) per ``group`` (``r.value``, ``r.day`` or ``''``); ``prefixes`` keeps only the counters
    whose name is one of them or starts with one followed by ``:``."""
    keep = ""
    extra: list[Any] = []
    if prefixes is not None:
        keep = " AND (e.key = ANY(%s) OR split_part(e.key, ':', 1) = ANY(%s))"
        extra = [list(prefixes), [p for p in prefixes if p]]
    sql = (
        f"SELECT {group} AS g, e.key AS key, e.value::bigint AS amount FROM {ROLLUPS} r "
        f"CROSS JOIN LATERAL jsonb_each_text(r.counts) AS e "
        f"WHERE r.id IN ({rows_sql}){keep}"
    )
    return _grouped(sql, [*params, *extra])


SETS = ("all", "channel", "intent", "language", "team", "agent")

# The scalar counters of ``facts.contribution`` as aggregates over a group of facts ``b``
# (NULLIF + jsonb_strip_nulls drop zero counters, as ``contribution`` does).
SCALARS = {
    "n": "count(*)",
    "open": "sum(is_open::int)",
    "resolved": "sum(resolved::int)",
    "fcr": "sum(first_contact_resolution::int)",
    "reopened": "count(*) FILTER (WHERE reopens > 0)",
    "replied": "count(first_response_s)",
    "frt_n": "count(first_response_s)",
    "frt_sum": "sum(first_response_s)",
    "frtb_n": "count(first_response_bs)",
    "frtb_sum": "sum(first_response_bs)",
    "res_n": "count(resolution_s)",
    "res_sum": "sum(resolution_s)",
    "resb_n": "count(resolution_bs)",
    "resb_sum": "sum(resolution_bs)",
    "nrt_n": "sum(waits)",
    "nrt_sum": "sum(waits_s)",
    "nrtb_n": "sum(waits)",
    "nrtb_sum": "sum(waits_bs)",
    "csat_n": "count(csat_rating)",
    "csat_sum": "sum(csat_rating)",
    "csat_good": "count(*) FILTER (WHERE csat_rating >= 4)",
    "ho_csat_n": "count(csat_rating) FILTER (WHERE handed_off)",
    "ho_csat_sum": "sum(csat_rating) FILTER (WHERE handed_off)",
    "said_n": "count(csat_resolved)",
    "said_yes": "count(*) FILTER (WHERE csat_resolved)",
    "sla_met": "sum(sla_met)",
    "sla_breached": "sum(sla_breached)",
    "assisted": "sum(assisted::int)",
    "contained": "sum(contained::int)",
    "handed_off": "sum(handed_off::int)",
}


# Per fact: how many next-response waits, and their calendar and business seconds summed.
WAITS = (
    "jsonb_array_length(f.next_responses) AS waits, "
    "(SELECT sum((w.value->>0)::bigint) FROM jsonb_array_elements(f.next_responses) w) "
    "AS waits_s, "
    "(SELECT sum((w.value->>1)::bigint) FROM jsonb_array_elements(f.next_responses) w) "
    "AS waits_bs"
)


def _scalars() -> str:
    """One JSON object of the scalar counters of a group (zero counters left out)."""
    pairs = ", ".join(f"'{k}', NULLIF({v}, 0)" for k, v in SCALARS.items())
    return f"jsonb_strip_nulls(jsonb_build_object({pairs}))"


def _bins(source: str, columns: str) -> str:
    """``(columns..., key)`` for each histogram bin and hour counter of each fact ``f`` of
    ``source`` (a fact has at most 5 + 2 x waits of them; each counts 1)."""
    array = _array()
    durations = (
        ("frt", "first_response_s"),
        ("frtb", "first_response_bs"),
        ("res", "resolution_s"),
        ("resb", "resolution_bs"),
    )
    return " UNION ALL ".join(
        [
            f"SELECT {columns}, 'hour:' || f.hour AS key FROM {source} f",
            *(
                f"SELECT {columns}, '{name}:' || width_bucket(f.{col}, {array}) "
                f"FROM {source} f WHERE f.{col} IS NOT NULL"
                for name, col in durations
            ),
            *(
                f"SELECT {columns}, '{name}:' || width_bucket((w.value->>{i})::bigint, "
                f"{array}) FROM {source} f "
                "CROSS JOIN LATERAL jsonb_array_elements(f.next_responses) AS w"
                for name, i in (("nrt", 0), ("nrtb", 1))
            ),
        ]
    )


def merge_facts(where: str, params: Sequence[Any], dimension: str) -> dict[Any, Counter[str]]:
    """Sum the contributions of the facts ``f`` matching ``where`` per rollup value of
    ``dimension`` (or per ``day``): the matching facts read once, the scalar counters as
    aggregates, the bins and hours counted, joined per group."""
    group = DIMENSION_SQL[dimension]
    query = (
        f"WITH f AS MATERIALIZED (SELECT f.*, {WAITS} FROM {FACTS} f WHERE {where}) "
        "SELECT s.g, s.counts || h.counts FROM ("
        f"SELECT {group} AS g, {_scalars()} AS counts FROM f GROUP BY 1"
        ") AS s JOIN ("
        "SELECT g, jsonb_object_agg(key, c) AS counts FROM ("
        f"SELECT g, key, count(*) AS c FROM ({_bins('f', f'{group} AS g')}) AS x GROUP BY g, key"
        ") AS y GROUP BY g"
        ") AS h USING (g)"
    )
    return _fetch(query, params)


def _grouping(alias: str) -> tuple[str, str, str]:
    """(value columns, the dimension name, the value) for ``GROUPING SETS`` over the fact
    columns ``channel_v`` ... ``agent_v`` of ``alias``."""
    columns = ", ".join(f"{DIMENSION_SQL[d]} AS {d}_v" for d in SETS[1:])
    dim = "CASE " + " ".join(f"WHEN GROUPING({d}_v) = 0 THEN '{d}'" for d in SETS[1:])
    dim += " ELSE 'all' END"
    value = "COALESCE(" + ", ".join(f"{d}_v" for d in SETS[1:]) + ", '')"
    return columns, dim, value


def _sets(extra: str) -> str:
    return ", ".join([f"(day{extra})", *(f"(day, {d}_v{extra})" for d in SETS[1:])])


def rebuild_rollups(now: datetime) -> int:
    """Replace every rollup row by the sum of the stored facts' contributions, in SQL. Day rows:
    the scalar counters as aggregates in one ``GROUPING SETS`` pass over the facts, the
    histogram bins and hours (a few rows per fact) counted in another, joined per row; then the
    month rows summed from the day rows. Call inside a transaction. Returns the rows written."""
    columns, dim, value = _grouping("f")
    scalar_rows = (
        f"SELECT b.day, {dim} AS dim, {value} AS val, {_scalars()} AS counts "
        f"FROM (SELECT f.*, {columns}, {WAITS} FROM {FACTS} f) AS b "
        f"GROUP BY GROUPING SETS ({_sets('')})"
    )
    bins = _bins(FACTS, f"f.day, {columns}")
    bin_rows = (
        "SELECT day, dim, val, jsonb_object_agg(key, c) AS counts FROM ("
        f"SELECT day, {dim} AS dim, {value} AS val, key, count(*) AS c FROM ({bins}) AS x "
        f"GROUP BY GROUPING SETS ({_sets(', key')})"
        ") AS y GROUP BY day, dim, val"
    )
    day_rows = (
        f"INSERT INTO {ROLLUPS} (span, day, dimension, value, counts, updated_at) "
        "SELECT 'day', s.day, s.dim, s.val, s.counts || h.counts, %s "
        f"FROM ({scalar_rows}) AS s JOIN ({bin_rows}) AS h USING (day, dim, val)"
    )
    month_rows = (
        f"INSERT INTO {ROLLUPS} (span, day, dimension, value, counts, updated_at) "
        f"SELECT 'month', m, dimension, value, jsonb_object_agg(key, total), %s FROM ("
        f"SELECT date_trunc('month', r.day)::date AS m, r.dimension, r.value, e.key, "
        f"SUM(e.value::bigint) AS total FROM {ROLLUPS} r "
        f"CROSS JOIN LATERAL jsonb_each_text(r.counts) AS e WHERE r.span = 'day' "
        f"GROUP BY 1, 2, 3, 4"
        f") AS s GROUP BY m, dimension, value"
    )
    with connection.cursor() as cursor:
        # This transaction only: sorts and hashes in memory (measured at 100,000 facts: 41 s
        # with the defaults' on-disk merges, 26 s so), hashing where the planner can.
        cursor.execute("SET LOCAL work_mem = '512MB'")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"DELETE FROM {ROLLUPS}")
        cursor.execute(day_rows, [now])
        written = int(cursor.rowcount)
        cursor.execute(month_rows, [now])
        written += int(cursor.rowcount)
        # Fresh statistics: the dashboards' plans depend on the row counts.
        cursor.execute(f"ANALYZE {ROLLUPS}")
    return written
