"""Dashboard reads: merge rollup rows for a date range and one optional filter, and read the
live backlog from the facts. Supervisors and admins only (``NotFound`` for everyone else).

A view reads at most (days in range) x (values of one dimension) small rows, twice (the range
and the previous period of the same length), whatever the number of conversations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Team, User
from kefu.analytics import sql
from kefu.analytics.facts import FACT_FIELDS, contribution, keys
from kefu.analytics.histogram import quantile
from kefu.analytics.models import ConversationFact, DailyRollup, Dimension, Span
from kefu.conversations.models import Category, Channel
from kefu.core import clock
from kefu.core.errors import NotFound
from kefu.sla.models import SlaPolicy

FILTER_DIMENSIONS = ("channel", "intent", "language", "team", "agent")
MAX_DAYS = 366
DEFAULT_DAYS = 28


def require_analytics_reader(user: User) -> None:
    """Supervisors and admins read analytics; anyone else is told nothing exists."""
    if not permissions.sees_all(user):
        raise NotFound(_("Not found."))


@dataclass(frozen=True, slots=True)
class Filters:
    start: date
    end: date  # inclusive
    # (dimension, value) pairs in FILTER_DIMENSIONS order, at most one per dimension: a
    # conversation counts when it matches all of them.
    selected: tuple[tuple[str, str], ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def dimension(self) -> str:
        """The one filtered dimension ("" for none or several)."""
        return self.selected[0][0] if len(self.selected) == 1 else ""

    @property
    def value(self) -> str:
        return self.selected[0][1] if len(self.selected) == 1 else ""

    @property
    def combined(self) -> bool:
        return len(self.selected) > 1

    def value_of(self, dimension: str) -> str | None:
        return next((v for d, v in self.selected if d == dimension), None)

    def without(self, dimension: str) -> Filters:
        return replace(self, selected=tuple((d, v) for d, v in self.selected if d != dimension))

    def previous(self) -> Filters:
        span = timedelta(days=self.days)
        return replace(self, start=self.start - span, end=self.end - span)

    def query(self) -> dict[str, str]:
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        params.update(self.selected)
        return params


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def parse_filters(params: QueryDict | Mapping[str, str], *, today: date | None = None) -> Filters:
    """Date range (``from``, ``to``, inclusive, at most a year) and any of the dimension filters
    (``channel=``, ``intent=``, ``language=``, ``team=<id>``, ``agent=<id>``, together) from the
    URL; the filter form's ``dimension=`` + ``value=`` adds (or replaces) one. Anything
    unreadable falls back to the last four weeks."""
    today = today or clock.now().date()
    end = _date(params.get("to")) or today
    start = _date(params.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    given = {d: str(params.get(d, ""))[:64] for d in FILTER_DIMENSIONS if params.get(d)}
    chosen = str(params.get("dimension", ""))
    if chosen in FILTER_DIMENSIONS and params.get("value"):  # the filter form's shape
        given[chosen] = str(params.get("value", ""))[:64]
    selected = tuple((d, given[d]) for d in FILTER_DIMENSIONS if d in given)
    return Filters(start=start, end=end, selected=selected)


@dataclass(frozen=True, slots=True)
class Summary:
    """Headline numbers from merged counters (rates are 0..1; durations in seconds)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    # The histograms (``frt:17`` -> hists["frt"][17]), indexed once instead of per quantile.
    hists: dict[str, dict[int, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hists: dict[str, dict[int, int]] = {}
        for name, count in self.counts.items():
            prefix, colon, k = name.partition(":")
            if colon and prefix != "hour":
                hists.setdefault(prefix, {})[int(k)] = count
        object.__setattr__(self, "hists", hists)

    def get(self, name: str) -> int:
        return int(self.counts.get(name, 0))

    def ratio(self, top: str, bottom: str) -> float | None:
        d = self.get(bottom)
        return self.get(top) / d if d else None

    def hist(self, name: str) -> dict[int, int]:
        return self.hists.get(name, {})

    def q(self, name: str, p: float) -> float | None:
        return quantile(self.hist(name), p)

    def mean(self, name: str) -> float | None:
        return self.ratio(f"{name}_sum", f"{name}_n")

    @property
    def conversations(self) -> int:
        return self.get("n")

    def ratio_sum(self, top: str, parts: tuple[str, ...]) -> float | None:
        total = sum(self.get(p) for p in parts)
        return self.get(top) / total if total else None

    def metric(self, key: str) -> float | int | None:
        """One named metric (cheaper than ``metrics`` when a table shows a few)."""
        return METRIC_FUNCTIONS[key](self)

    @property
    def metrics(self) -> dict[str, float | int | None]:
        return {key: fn(self) for key, fn in METRIC_FUNCTIONS.items()}


METRIC_FUNCTIONS: dict[str, Callable[[Summary], float | int | None]] = {
    "conversations": lambda s: s.get("n"),
    "resolved": lambda s: s.get("resolved"),
    "open": lambda s: s.get("open"),
    "frt_median": lambda s: s.q("frt", 0.5),
    "frt_p90": lambda s: s.q("frt", 0.9),
    "frt_mean": lambda s: s.mean("frt"),
    "frtb_median": lambda s: s.q("frtb", 0.5),
    "frtb_p90": lambda s: s.q("frtb", 0.9),
    "nrt_median": lambda s: s.q("nrt", 0.5),
    "nrt_p90": lambda s: s.q("nrt", 0.9),
    "nrtb_median": lambda s: s.q("nrtb", 0.5),
    "nrtb_p90": lambda s: s.q("nrtb", 0.9),
    "res_median": lambda s: s.q("res", 0.5),
    "res_p90": lambda s: s.q("res", 0.9),
    "res_mean": lambda s: s.mean("res"),
    "resb_median": lambda s: s.q("resb", 0.5),
    "resb_p90": lambda s: s.q("resb", 0.9),
    "fcr_rate": lambda s: s.ratio("fcr", "resolved"),
    "reopen_rate": lambda s: s.ratio("reopened", "resolved"),
    "csat_average": lambda s: s.ratio("csat_sum", "csat_n"),
    "csat_good_share": lambda s: s.ratio("csat_good", "csat_n"),
    "csat_answers": lambda s: s.get("csat_n"),
    "resolved_yes_share": lambda s: s.ratio("said_yes", "said_n"),
    "sla_attainment": lambda s: s.ratio_sum("sla_met", ("sla_met", "sla_breached")),
    "assisted": lambda s: s.get("assisted"),
    "containment_rate": lambda s: s.ratio("contained", "assisted"),
    "handoff_rate": lambda s: s.ratio("handed_off", "assisted"),
    "handoff_csat_average": lambda s: s.ratio("ho_csat_sum", "ho_csat_n"),
}


def merge(rows: Iterable[Mapping[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in rows:
        total.update(counts)
    return total


def _day_rows(filters: Filters, dimension: str, value: str | None = None) -> QuerySet[DailyRollup]:
    """Day rows of the range (for per-day series)."""
    qs = DailyRollup.objects.filter(
        span=Span.DAY, dimension=dimension, day__gte=filters.start, day__lte=filters.end
    )
    if value is not None:
        qs = qs.filter(value=value)
    return qs


def _keep(name: str, prefixes: tuple[str, ...]) -> bool:
    return name.split(":", 1)[0] in prefixes


def merge_rollups(
    qs: QuerySet[DailyRollup], group: str, prefixes: tuple[str, ...] | None = None
) -> dict[Any, Counter[str]]:
    """The counters of the rollup rows ``qs`` summed per ``group`` (``value``, ``day`` or ``""``
    for one total); ``prefixes`` keeps only those counters (``frt`` keeps the bins ``frt:K``).
    On PostgreSQL the sum runs in SQL (only merged counters cross the wire); elsewhere in
    Python. Both give the same result (tests/test_sql_merge.py)."""
    if sql.available():
        rows_sql, params = qs.values("id").query.sql_with_params()
        group_sql = {"value": "r.value", "day": "r.day", "": "''"}[group]
        return sql.merge_rollups(rows_sql, params, group_sql, prefixes)
    merged: dict[Any, Counter[str]] = {}
    for row in qs.only("day", "value", "counts"):
        counts = row.counts
        if prefixes is not None:
            counts = {k: v for k, v in counts.items() if _keep(k, prefixes)}
        key = getattr(row, group) if group else ""
        merged.setdefault(key, Counter()).update(counts)
    return {k: +c for k, c in merged.items() if +c}


def _fact_sql_where(filters: Filters) -> tuple[str, list[Any]]:
    where = ["f.day >= %s", "f.day <= %s"]
    params: list[Any] = [filters.start, filters.end]
    for dimension, value in filters.selected:
        if dimension in ("team", "agent"):
            if value.isdigit():
                where.append(f"f.{dimension}_id = %s")
                params.append(int(value))
            elif value == "":  # pragma: no cover - the URL never carries an empty filter
                where.append(f"f.{dimension}_id IS NULL")
            else:
                where.append("FALSE")
        else:
            where.append(f"f.{dimension} = %s")
            params.append(value)
    return " AND ".join(where), params


def _fact_filter(filters: Filters) -> Q:
    where = Q(day__gte=filters.start, day__lte=filters.end)
    for dimension, value in filters.selected:
        if dimension in ("team", "agent"):
            where &= Q(**{f"{dimension}_id": int(value)}) if value.isdigit() else Q(pk__in=[])
        else:
            where &= Q(**{dimension: value})
    return where


def merge_facts(filters: Filters, group: str) -> dict[Any, Counter[str]]:
    """The summed contributions of the facts created in the range that match every filter, per
    ``group`` (``day`` or a dimension's rollup value): what a rollup row for that combination
    of filters would hold. Reads the facts through the index on ``day``; on PostgreSQL the sum
    runs in SQL."""
    if sql.available():
        where, params = _fact_sql_where(filters)
        return sql.merge_facts(where, params, group)
    merged: dict[Any, Counter[str]] = {}
    fields = ["conversation_id", *FACT_FIELDS]
    for values in ConversationFact.objects.filter(_fact_filter(filters)).values_list(*fields):
        fact = dict(zip(fields, values, strict=True))
        key = fact["day"] if group == "day" else dict(keys(fact))[group]
        merged.setdefault(key, Counter()).update(contribution(fact))
    return merged


def cover(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The whole months inside ``[start, end]`` (their first days) and the day ranges left at
    the edges: together they cover the range exactly once."""
    months: list[date] = []
    edges: list[tuple[date, date]] = []
    first = start if start.day == 1 else _next_month(start)
    cursor = first
    while _next_month(cursor) - timedelta(days=1) <= end:
        months.append(cursor)
        cursor = _next_month(cursor)
    if not months:
        return [], [(start, end)]
    if start < months[0]:
        edges.append((start, months[0] - timedelta(days=1)))
    if cursor <= end:
        edges.append((cursor, end))
    return months, edges


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _covering_rows(
    filters: Filters, dimension: str, value: str | None = None
) -> QuerySet[DailyRollup]:
    """Month rows for the whole months of the range plus day rows for the rest."""
    months, edges = cover(filters.start, filters.end)
    where = Q(span=Span.MONTH, day__in=months) if months else Q(pk__in=[])
    for low, high in edges:
        where |= Q(span=Span.DAY, day__gte=low, day__lte=high)
    qs = DailyRollup.objects.filter(where, dimension=dimension)
    if value is not None:
        qs = qs.filter(value=value)
    return qs


def _scope(filters: Filters) -> tuple[str, str]:
    if filters.dimension:
        return filters.dimension, filters.value
    return Dimension.ALL, ""


# The counters the per-day series and table need (conversations, resolved, the first response
# and resolution medians, CSAT, SLA).
DAILY_COUNTERS = ("n", "resolved", "frt", "res", "csat_n", "csat_sum", "sla_met", "sla_breached")


def period_counts(filters: Filters) -> tuple[Counter[str], dict[date, Counter[str]]]:
    """The merged counters of the range and the per-day counters (``DAILY_COUNTERS`` at least).
    No filter or one: from the rollups of that value. Several: from the matching facts."""
    if filters.combined:
        from_facts = merge_facts(filters, "day")
        return merge(from_facts.values()), from_facts
    dimension, value = _scope(filters)
    total = merge_rollups(_covering_rows(filters, dimension, value), "").get("", Counter())
    # One day row per day: nothing to add up, so the rows are read as they are (a SQL merge
    # would only regroup them) and trimmed to the counters the series need.
    by_day: dict[date, Counter[str]] = {}
    for day, counts in _day_rows(filters, dimension, value).values_list("day", "counts"):
        by_day[day] = Counter({k: v for k, v in counts.items() if _keep(k, DAILY_COUNTERS)})
    return total, by_day


def total_counts(filters: Filters) -> Counter[str]:
    if filters.combined:
        return merge(merge_facts(filters, "day").values())
    dimension, value = _scope(filters)
    return merge_rollups(_covering_rows(filters, dimension, value), "").get("", Counter())


@dataclass(frozen=True, slots=True)
class Overview:
    filters: Filters
    current: Summary
    previous: Summary
    daily: list[tuple[date, Summary]]
    hours: list[int]  # conversations created per UTC hour of day
    weekdays: list[int]  # Monday first
    targets: dict[str, int | None]  # SLA targets in seconds (the first active policy)
    backlog: Backlog


@dataclass(frozen=True, slots=True)
class Backlog:
    open: int
    age_median_days: float | None
    age_p90_days: float | None
    by_age: list[tuple[str, int]]


def backlog(filters: Filters, *, now: datetime | None = None) -> Backlog:
    """Conversations not solved or closed now, and their age (from the facts; the refresh keeps
    them current). Reads the open facts' creation days through a partial index."""
    today = (now or clock.now()).date()
    qs = ConversationFact.objects.filter(is_open=True)
    for dimension, value in filters.selected:
        if dimension in ("team", "agent"):
            qs = qs.filter(**{f"{dimension}_id": int(value) if value.isdigit() else None})
        else:
            qs = qs.filter(**{dimension: value})
    per_day = dict(qs.values_list("day").annotate(c=Count("*")).values_list("day", "c"))
    ages: Counter[int] = Counter()
    for day, count in per_day.items():
        ages[max(0, (today - day).days)] += count
    total = sum(ages.values())

    def q(p: float) -> float | None:
        if not total:
            return None
        rank = max(1, math.ceil(p * total))
        seen = 0
        for age in sorted(ages):
            seen += ages[age]
            if seen >= rank:
                return float(age)
        return None

    buckets = [
        (_("under 1 day"), 0, 0),
        (_("1-2 days"), 1, 2),
        (_("3-7 days"), 3, 7),
        (_("8-30 days"), 8, 30),
        (_("over 30 days"), 31, 10**6),
    ]
    by_age = [
        (label, sum(c for a, c in ages.items() if low <= a <= high)) for label, low, high in buckets
    ]
    return Backlog(open=total, age_median_days=q(0.5), age_p90_days=q(0.9), by_age=by_age)


def sla_targets() -> dict[str, int | None]:
    policy = SlaPolicy.objects.filter(active=True).order_by("position", "id").first()

    def seconds(minutes: int | None) -> int | None:
        return None if minutes is None else minutes * 60

    if policy is None:
        return {"first_response": None, "next_response": None, "resolution": None}
    return {
        "first_response": seconds(policy.first_response_minutes),
        "next_response": seconds(policy.next_response_minutes),
        "resolution": seconds(policy.resolution_minutes),
    }


def overview(*, user: User, filters: Filters) -> Overview:
    """The headline numbers for the range vs the previous period, per-day series, volume by
    hour and weekday, SLA targets and the live backlog."""
    require_analytics_reader(user)
    current, by_day = period_counts(filters)
    weekdays = [0] * 7
    for day, counts in by_day.items():
        weekdays[day.weekday()] += counts.get("n", 0)
    daily = [
        (
            filters.start + timedelta(days=i),
            Summary(by_day.get(filters.start + timedelta(days=i), Counter())),
        )
        for i in range(filters.days)
    ]
    return Overview(
        filters=filters,
        current=Summary(current),
        previous=Summary(total_counts(filters.previous())),
        daily=daily,
        hours=[current.get(f"hour:{h}", 0) for h in range(24)],
        weekdays=weekdays,
        targets=sla_targets(),
        backlog=backlog(filters),
    )


BREAKDOWN_DIMENSIONS = ("team", "agent", "channel", "intent", "language")


def _labels(dimension: str, values: Iterable[str]) -> dict[str, str]:
    values = list(values)
    if dimension == "team":
        names = dict(
            Team.objects.filter(pk__in=[int(v) for v in values if v.isdigit()]).values_list(
                "pk", "name"
            )
        )
        return {v: names.get(int(v), f"#{v}") if v else _("No team") for v in values}
    if dimension == "agent":
        users = {
            u.pk: (u.display_name or u.email)
            for u in User.objects.filter(pk__in=[int(v) for v in values if v.isdigit()])
        }
        return {v: users.get(int(v), f"#{v}") if v else _("Unassigned") for v in values}
    if dimension == "channel":
        return {v: str(dict(Channel.choices).get(v, v)) for v in values}
    if dimension == "intent":
        return {v: str(dict(Category.choices).get(v, v)) for v in values}
    return {v: v or "-" for v in values}


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    value: str
    label: str
    summary: Summary


def breakdown(*, user: User, filters: Filters, dimension: str) -> list[BreakdownRow]:
    """One row per value of ``dimension`` over the date range, busiest first. Filtered only on
    ``dimension`` (or not at all): from the rollups. Filtered on other dimensions too: from the
    facts matching every filter (the rollups are kept per single dimension value)."""
    require_analytics_reader(user)
    if dimension not in BREAKDOWN_DIMENSIONS:
        raise NotFound(_("Not found."))
    if filters.without(dimension).selected:
        merged = merge_facts(filters, dimension)
    else:
        qs = _covering_rows(filters, dimension, filters.value_of(dimension))
        merged = merge_rollups(qs, "value")
    labels = _labels(dimension, merged)
    rows = [BreakdownRow(v, labels[v], Summary(c)) for v, c in merged.items()]
    rows.sort(key=lambda r: (-r.summary.conversations, r.label))
    return rows
