"""Analytics dashboards in the agent workspace (supervisors and admins): the overview and the
drill-downs, each table exportable as CSV or XLSX with ``?export=csv|xlsx&table=NAME``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.analytics import selectors, services, tables
from kefu.analytics.selectors import Filters
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _reader(request: HttpRequest) -> User:
    user = current_agent(request)
    if not permissions.sees_all(user):
        raise Http404
    return user


def dimension_titles() -> dict[str, str]:
    return {
        "team": _("Team"),
        "agent": _("Agent"),
        "channel": _("Channel"),
        "intent": _("Intent"),
        "language": _("Language"),
    }


def _export(
    request: HttpRequest, found: list[tables.Table], filters: Filters
) -> HttpResponse | None:
    fmt = request.GET.get("export", "")
    if not fmt:
        return None
    name = request.GET.get("table", found[0].name)
    table = next((t for t in found if t.name == name), None)
    if fmt not in EXPORT_TYPES or table is None:
        raise Http404
    if table.name == "agent" or filters.value_of("agent") is not None:
        # Per-agent numbers are staff performance data: the export is audited.
        services.analytics_export_record(
            actor=current_actor(request), table=table.name, fmt=fmt, filters=filters.query()
        )
    body = tables.to_csv(table) if fmt == "csv" else tables.to_xlsx(table)
    response = HttpResponse(body, content_type=EXPORT_TYPES[fmt])
    filename = f"kefu-{table.name}-{filters.start.isoformat()}-{filters.end.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _audit_agent_view(request: HttpRequest, view: str, filters: Filters) -> None:
    """Per-agent numbers on screen are staff performance data: the look is audited (an export
    is audited as ``analytics.exported`` instead)."""
    if view == "agent" or filters.value_of("agent") is not None:
        services.analytics_view_record(
            actor=current_actor(request), view=view, filters=filters.query()
        )


def _rendered(found: list[tables.Table]) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "title": t.title,
            "headers": [label for _k, label, _kind in t.columns],
            "rows": [
                [tables.display(v, kind) for v, (_k, _l, kind) in zip(row, t.columns, strict=True)]
                for row in t.rows
            ],
        }
        for t in found
    ]


def _base_context(request: HttpRequest, filters: Filters, active: str) -> dict[str, Any]:
    query = filters.query()
    titles = dimension_titles()
    active_filters = [
        {
            "dimension": dimension,
            "title": titles[dimension],
            "value": value,
            "remove": urlencode(filters.without(dimension).query()),
        }
        for dimension, value in filters.selected
    ]
    return {
        **page_context(request, "analytics"),
        "filters": filters,
        "query": urlencode(query),
        "dimensions": dimension_titles(),
        "filter_dimensions": selectors.FILTER_DIMENSIONS,
        "active_filters": active_filters,
        "active": active,
    }


def _minutes(value: float | int | None) -> float | None:
    return None if value is None else round(float(value) / 60, 2)


@never_cache
@require_GET
@agent_required
def overview(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    filters = selectors.parse_filters(request.GET)
    view = selectors.overview(user=user, filters=filters)
    found = tables.overview_tables(view)
    exported = _export(request, found, filters)
    if exported is not None:
        return exported
    _audit_agent_view(request, "overview", filters)
    current, previous = view.current.metrics, view.previous.metrics
    headline_keys = [
        ("conversations", "count"),
        ("frt_median", "seconds"),
        ("frt_p90", "seconds"),
        ("res_median", "seconds"),
        ("fcr_rate", "rate"),
        ("csat_average", "score"),
        ("sla_attainment", "rate"),
        ("containment_rate", "rate"),
    ]
    labels = {key: label for key, label, _kind in tables.METRICS}
    headlines = []
    for key, kind in headline_keys:
        target = view.targets.get(tables.TARGET_OF.get(key, ""))
        now_value, before = current[key], previous[key]
        change = None
        if now_value is not None and before:
            change = (float(now_value) - float(before)) / float(before) * 100
        headlines.append(
            {
                "label": labels[key],
                "value": tables.display(now_value, kind),
                "previous": tables.display(before, kind),
                "change": None if change is None else f"{change:+.0f} %",
                "target": tables.display(target, "seconds") if target else "",
                "over_target": bool(target and now_value is not None and float(now_value) > target),
            }
        )
    chart = {
        "labels": {
            "conversations": _("Conversations"),
            "resolved": _("Resolved conversations"),
            "frt": _("First response, median (min)"),
            "res": _("Resolution, median (min)"),
            "hour": _("Conversations by hour of day (UTC)"),
            "weekday": _("Conversations by weekday"),
            "backlog": _("Backlog by age"),
            "daily": _("Conversations per day"),
            "times": _("Response times per day (minutes)"),
        },
        "days": [d.isoformat() for d, _s in view.daily],
        "conversations": [s.conversations for _d, s in view.daily],
        "resolved": [s.get("resolved") for _d, s in view.daily],
        "frt": [_minutes(s.q("frt", 0.5)) for _d, s in view.daily],
        "res": [_minutes(s.q("res", 0.5)) for _d, s in view.daily],
        "hours": view.hours,
        "hour_labels": [f"{h:02d}" for h in range(24)],
        "weekdays": view.weekdays,
        "weekday_labels": [str(r[0]) for r in tables.weekdays_table(view).rows],
        "backlog": [n for _label, n in view.backlog.by_age],
        "backlog_labels": [str(label) for label, _n in view.backlog.by_age],
    }
    context = {
        **_base_context(request, filters, "overview"),
        "headlines": headlines,
        "backlog": view.backlog,
        "tables": _rendered(found),
        "chart": chart,
    }
    return TemplateResponse(request, "analytics/overview.html", context)


@never_cache
@require_GET
@agent_required
def breakdown(request: HttpRequest, dimension: str) -> HttpResponse:
    user = _reader(request)
    titles = dimension_titles()
    if dimension not in titles:
        raise Http404
    filters = selectors.parse_filters(request.GET)
    rows = selectors.breakdown(user=user, filters=filters, dimension=dimension)
    table = tables.breakdown_table(dimension, titles[dimension], rows)
    exported = _export(request, [table], filters)
    if exported is not None:
        return exported
    _audit_agent_view(request, dimension, filters)
    top = rows[:30]
    chart = {
        "labels": {
            "conversations": _("Conversations"),
            "frt": _("First response, median (min)"),
            "res": _("Resolution, median (min)"),
        },
        "values": [r.label for r in top],
        "conversations": [r.summary.conversations for r in top],
        "frt": [_minutes(r.summary.q("frt", 0.5)) for r in top],
        "res": [_minutes(r.summary.q("res", 0.5)) for r in top],
    }
    context = {
        **_base_context(request, filters, dimension),
        "title": titles[dimension],
        "dimension": dimension,
        "drill": [
            {
                "label": r.label,
                "query": urlencode({**filters.without(dimension).query(), dimension: r.value}),
            }
            for r in top
        ],
        "tables": _rendered([table]),
        "chart": chart,
    }
    return TemplateResponse(request, "analytics/breakdown.html", context)
