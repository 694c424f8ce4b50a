"""Dashboard reads: merge rollup rows for a date range and one optional filter, and read the
live backlog from the facts. Supervisors and admins only (``NotFound`` for everyone else).

A view reads at most (days in range) x (values of one dimension) small rows, twice (the range
and the previous period of the same length), whatever the number of conversations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.http import QueryDict
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Team, User
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
    dimension: str = ""  # one of FILTER_DIMENSIONS, or "" for everything
    value: str = ""
    ignored: tuple[str, ...] = ()  # filters given but not applied (only one at a time)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        span = timedelta(days=self.days)
        return Filters(
            start=self.start - span, end=self.end - span, dimension=self.dimension, value=self.value
        )

    def query(self) -> dict[str, str]:
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.dimension:
            params[self.dimension] = self.value
        return params


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def parse_filters(params: QueryDict | Mapping[str, str], *, today: date | None = None) -> Filters:
    """Date range (``from``, ``to``, inclusive, at most a year) and at most one dimension
    filter from the URL; anything unreadable falls back to the last four weeks."""
    today = today or clock.now().date()
    end = _date(params.get("to")) or today
    start = _date(params.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    given = [(d, str(params.get(d, ""))[:64]) for d in FILTER_DIMENSIONS if params.get(d)]
    chosen = str(params.get("dimension", ""))
    if chosen in FILTER_DIMENSIONS and params.get("value"):  # the filter form's shape
        given.insert(0, (chosen, str(params.get("value", ""))[:64]))
    if not given:
        return Filters(start=start, end=end)
    (dimension, value), rest = given[0], given[1:]
    return Filters(
        start=start,
        end=end,
        dimension=dimension,
        value=value,
        ignored=tuple(d for d, _v in rest),
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """Headline numbers from merged counters (rates are 0..1; durations in seconds)."""

    counts: Mapping[str, int] = field(default_factory=dict)

    def get(self, name: str) -> int:
        return int(self.counts.get(name, 0))

    def ratio(self, top: str, bottom: str) -> float | None:
        d = self.get(bottom)
        return self.get(top) / d if d else None

    def hist(self, name: str) -> dict[int, int]:
        prefix = f"{name}:"
        return {int(k[len(prefix) :]): v for k, v in self.counts.items() if k.startswith(prefix)}

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


def _rows(filters: Filters, dimension: str, value: str | None = None) -> list[DailyRollup]:
    """Day rows of the range (for per-day series)."""
    qs = DailyRollup.objects.filter(
        span=Span.DAY, dimension=dimension, day__gte=filters.start, day__lte=filters.end
    )
    if value is not None:
        qs = qs.filter(value=value)
    return list(qs.only("day", "value", "counts"))


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


def _covering_rows(filters: Filters, dimension: str, value: str | None = None) -> list[DailyRollup]:
    """Month rows for the whole months of the range plus day rows for the rest."""
    months, edges = cover(filters.start, filters.end)
    where = Q(span=Span.MONTH, day__in=months) if months else Q(pk__in=[])
    for low, high in edges:
        where |= Q(span=Span.DAY, day__gte=low, day__lte=high)
    qs = DailyRollup.objects.filter(where, dimension=dimension)
    if value is not None:
        qs = qs.filter(value=value)
    return list(qs.only("value", "counts"))


def _scope(filters: Filters) -> tuple[str, str]:
    if filters.dimension:
        return filters.dimension, filters.value
    return Dimension.ALL, ""


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
    if filters.dimension in ("team", "agent"):
        qs = qs.filter(
            **{f"{filters.dimension}_id": int(filters.value) if filters.value.isdigit() else None}
        )
    elif filters.dimension:
        qs = qs.filter(**{filters.dimension: filters.value})
    per_day = dict(qs.values_list("day").annotate(c=Count("pk")).values_list("day", "c"))
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
    dimension, value = _scope(filters)
    rows = _rows(filters, dimension, value)
    previous_rows = _covering_rows(filters.previous(), dimension, value)
    by_day: dict[date, Counter[str]] = {}
    for row in rows:
        by_day.setdefault(row.day, Counter()).update(row.counts)
    current = merge(r.counts for r in rows)
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
        previous=Summary(merge(r.counts for r in previous_rows)),
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
    """One row per value of ``dimension`` over the date range, busiest first. The rollups are
    kept per single dimension, so a filter on another dimension does not narrow a breakdown
    (filtering on the same dimension keeps that value only)."""
    require_analytics_reader(user)
    if dimension not in BREAKDOWN_DIMENSIONS:
        raise NotFound(_("Not found."))
    value = filters.value if filters.dimension == dimension else None
    merged: dict[str, Counter[str]] = {}
    for row in _covering_rows(filters, dimension, value):
        merged.setdefault(row.value, Counter()).update(row.counts)
    labels = _labels(dimension, merged)
    rows = [BreakdownRow(v, labels[v], Summary(c)) for v, c in merged.items()]
    rows.sort(key=lambda r: (-r.summary.conversations, r.label))
    return rows
