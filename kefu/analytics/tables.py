"""The dashboards' tables as plain data (shown as HTML, exported as CSV and XLSX), and their
CSV/XLSX encodings. Values stay raw (seconds, 0..1 rates); ``display`` formats them for people."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.analytics.selectors import BreakdownRow, Overview, Summary

# Column kinds: "text", "count", "rate" (0..1), "seconds", "score" (1..5).
Column = tuple[str, Any, str]  # (key, label, kind)

METRICS: list[Column] = [
    ("conversations", gettext_lazy("Conversations"), "count"),
    ("resolved", gettext_lazy("Resolved conversations"), "count"),
    ("frt_median", gettext_lazy("First response, median"), "seconds"),
    ("frt_p90", gettext_lazy("First response, 90th percentile"), "seconds"),
    ("frtb_median", gettext_lazy("First response, median (business hours)"), "seconds"),
    ("frtb_p90", gettext_lazy("First response, 90th percentile (business hours)"), "seconds"),
    ("nrt_median", gettext_lazy("Next response, median"), "seconds"),
    ("nrt_p90", gettext_lazy("Next response, 90th percentile"), "seconds"),
    ("nrtb_median", gettext_lazy("Next response, median (business hours)"), "seconds"),
    ("nrtb_p90", gettext_lazy("Next response, 90th percentile (business hours)"), "seconds"),
    ("res_median", gettext_lazy("Resolution, median"), "seconds"),
    ("res_p90", gettext_lazy("Resolution, 90th percentile"), "seconds"),
    ("resb_median", gettext_lazy("Resolution, median (business hours)"), "seconds"),
    ("resb_p90", gettext_lazy("Resolution, 90th percentile (business hours)"), "seconds"),
    ("fcr_rate", gettext_lazy("First-contact resolution"), "rate"),
    ("reopen_rate", gettext_lazy("Reopen rate"), "rate"),
    ("csat_average", gettext_lazy("CSAT (average rating)"), "score"),
    ("csat_good_share", gettext_lazy("Satisfied (4 or 5)"), "rate"),
    ("resolved_yes_share", gettext_lazy('Answered "resolved: yes"'), "rate"),
    ("sla_attainment", gettext_lazy("SLA targets met"), "rate"),
    ("assisted", gettext_lazy("Handled by the assistant first"), "count"),
    ("containment_rate", gettext_lazy("Assistant containment"), "rate"),
    ("handoff_rate", gettext_lazy("Hand-off rate"), "rate"),
    ("handoff_csat_average", gettext_lazy("CSAT after hand-off"), "score"),
]
BREAKDOWN_METRICS = [
    m
    for m in METRICS
    if m[0]
    in {
        "conversations",
        "resolved",
        "frt_median",
        "frt_p90",
        "nrt_median",
        "res_median",
        "res_p90",
        "fcr_rate",
        "reopen_rate",
        "csat_average",
        "resolved_yes_share",
        "sla_attainment",
        "containment_rate",
        "handoff_rate",
    }
]
TARGET_OF = {
    "frt_median": "first_response",
    "frt_p90": "first_response",
    "nrt_median": "next_response",
    "nrt_p90": "next_response",
    "res_median": "resolution",
    "res_p90": "resolution",
}


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]


def summary_table(view: Overview) -> Table:
    current, previous = view.current.metrics, view.previous.metrics
    rows = []
    for key, label, kind in METRICS:
        target = view.targets.get(TARGET_OF.get(key, ""))
        rows.append([str(label), (current[key], kind), (previous[key], kind), (target, "seconds")])
    return Table(
        "summary",
        _("Headline numbers"),
        [
            ("metric", _("Metric"), "text"),
            ("current", _("This period"), "cell"),
            ("previous", _("Previous period"), "cell"),
            ("target", _("SLA target"), "cell"),
        ],
        rows,
    )


def daily_table(view: Overview) -> Table:
    cols = [
        m
        for m in METRICS
        if m[0]
        in {
            "conversations",
            "resolved",
            "frt_median",
            "res_median",
            "csat_average",
            "sla_attainment",
        }
    ]
    rows = []
    for day, summary in view.daily:
        rows.append([day.isoformat(), *(summary.metric(key) for key, _l, _k in cols)])
    return Table("daily", _("By day"), [("day", _("Day"), "text"), *cols], rows)


def hours_table(view: Overview) -> Table:
    return Table(
        "hours",
        _("By hour of day (UTC)"),
        [("hour", _("Hour"), "text"), ("conversations", _("Conversations"), "count")],
        [[f"{h:02d}:00", n] for h, n in enumerate(view.hours)],
    )


def weekdays_table(view: Overview) -> Table:
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    return Table(
        "weekdays",
        _("By weekday"),
        [("weekday", _("Weekday"), "text"), ("conversations", _("Conversations"), "count")],
        [[names[i], n] for i, n in enumerate(view.weekdays)],
    )


def backlog_table(view: Overview) -> Table:
    return Table(
        "backlog",
        _("Backlog by age"),
        [("age", _("Age"), "text"), ("open", _("Open conversations"), "count")],
        [[label, n] for label, n in view.backlog.by_age],
    )


def overview_tables(view: Overview) -> list[Table]:
    return [
        summary_table(view),
        daily_table(view),
        hours_table(view),
        weekdays_table(view),
        backlog_table(view),
    ]


def breakdown_table(dimension: str, title: str, rows: list[BreakdownRow]) -> Table:
    return Table(
        dimension,
        title,
        [("value", title, "text"), *BREAKDOWN_METRICS],
        [_breakdown_row(r) for r in rows],
    )


def _breakdown_row(row: BreakdownRow) -> list[Any]:
    return [row.label, *(row.summary.metric(key) for key, _l, _k in BREAKDOWN_METRICS)]


def _raw(value: Any) -> Any:
    """An export cell: the number itself (rates 0..1, durations in seconds), rounded."""
    if isinstance(value, tuple):
        value = value[0]
    if isinstance(value, float):
        return round(value, 4)
    return "" if value is None else value


def export_headers(table: Table) -> list[str]:
    headers = []
    for _key, label, kind in table.columns:
        suffix = {"seconds": _(" (seconds)"), "rate": _(" (0-1)")}.get(kind, "")
        headers.append(f"{label}{suffix}")
    return headers


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export_headers(table))
    for row in table.rows:
        writer.writerow([_csv_safe(_raw(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8 Chinese


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (names come from user input)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.name[:31]
    sheet.append(export_headers(table))
    for row in table.rows:
        sheet.append([_csv_safe(_raw(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def display(value: Any, kind: str) -> str:
    """A cell for people: durations as h/min, rates as percentages."""
    if kind == "cell" and isinstance(value, tuple):
        value, kind = value
    if value is None:
        return "\u2013"
    if kind == "seconds":
        return duration(float(value))
    if kind == "rate":
        return f"{float(value) * 100:.1f} %"
    if kind == "score":
        return f"{float(value):.2f}"
    if kind == "count":
        return f"{int(value):,}"
    return str(value)


def duration(seconds: float) -> str:
    if seconds < 60:
        return _("%(n)d s") % {"n": round(seconds)}
    minutes = seconds / 60
    if minutes < 60:
        return _("%(n).0f min") % {"n": minutes}
    hours = minutes / 60
    if hours < 48:
        return _("%(n).1f h") % {"n": hours}
    return _("%(n).1f d") % {"n": hours / 24}


def summary_value(summary: Summary, key: str) -> Any:
    return summary.metrics.get(key)
